using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Infrastructure.Proxmox;
using ProxClmc.Guard.Infrastructure.Qemu;
using ProxClmc.Guard.Infrastructure.Snapshot;

namespace ProxClmc.Guard.Pipeline;

/// <summary>corosync.conf from the first candidate path that exists; none at all is a one-node cluster of this host.</summary>
public sealed class CorosyncFileMembership(IReadOnlyList<string> candidates, IFileSystem fileSystem, string localNode) : IMembershipSource
{
    public Task<ClusterMembership> GetMembershipAsync(CancellationToken cancellationToken)
    {
        foreach (var path in candidates)
        {
            if (fileSystem.FileExists(path))
            {
                var text = fileSystem.ReadAllText(path, FileLimits.ForPmxcfs);
                return Task.FromResult(CorosyncConfig.Parse(text, path).GetValueOrThrow());
            }
        }

        // A Proxmox node that was never joined to a cluster has no corosync.conf: a valid one-node setup.
        return Task.FromResult(ClusterMembership.Standalone(localNode));
    }
}

/// <summary>
/// Node facts, best and cheapest source first: a snapshot's nodes/&lt;node&gt;/cpuinfo (with the node's published
/// QEMU answer when the snapshot carries it); else a node's own published facts under pve_root when fresh
/// (facts.max_age_seconds); else this host's own /proc/cpuinfo and QEMU for the local node; then the remote source
/// (SSH or API) for the rest.
/// </summary>
public sealed class LayeredFactsSource(
    PveTree? tree,
    string localNode,
    string localCpuInfo,
    IFileSystem fileSystem,
    INodeFactsSource? remote,
    TimeProvider clock,
    string? publishedRoot = null,
    TimeSpan? publishedMaxAge = null,
    INodeQemuProbe? localProbe = null,
    string? ownWriteFile = null) : INodeFactsSource
{
    private readonly List<string> _warnings = [];

    /// <summary>Published documents for this node that it did not write, one line each (reported, never used).</summary>
    public IReadOnlyList<string> Warnings => [.. _warnings];

    public async Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, NodeFacts>(StringComparer.Ordinal);
        var remaining = new List<ClusterNode>();

        // A snapshot carries every node's cpuinfo; /etc/pve carries none, and then this host is the local node.
        var isSnapshot = tree is not null && membership.Nodes.Any(n => tree.HasCpuInfo(n.Name));
        foreach (var node in membership.Nodes)
        {
            if (isSnapshot && tree!.HasCpuInfo(node.Name))
            {
                result[node.Name] = WithSnapshotQemu(tree.ReadNodeFacts(node));
            }
            else if (isSnapshot && PublishedFacts.TryRead(fileSystem, tree!.Root, node, clock.GetUtcNow(), null, FactsSource.Snapshot, out _) is { } carried)
            {
                result[node.Name] = carried;
            }
            else if (!isSnapshot && publishedRoot is not null && publishedMaxAge is { } maxAge
                && (!IsLocal(node) || PublishedFacts.IsOwnWrite(fileSystem, publishedRoot, node.Name, ownWriteFile))
                && PublishedFacts.TryRead(fileSystem, publishedRoot, node, clock.GetUtcNow(), maxAge, FactsSource.Published, out _) is { } published)
            {
                // This node's own copy is its own reading (the hash of its last write matches); a peer's is capped by its cpuinfo.
                result[node.Name] = IsLocal(node) ? published with { QemuCappedByCpuInfo = false } : published;
            }
            else if (!isSnapshot && IsLocal(node))
            {
                var own = await WithLocalQemuAsync(ReadLocal(node), cancellationToken).ConfigureAwait(false);
                if (publishedRoot is not null && PublishedFacts.TryReadDocument(fileSystem, publishedRoot, node.Name, out _) is { } foreign)
                {
                    _warnings.Add(ForeignDocument(foreign, own));
                }

                result[node.Name] = own;
            }
            else
            {
                remaining.Add(node);
            }
        }

        if (remaining.Count > 0)
        {
            if (remote is null)
            {
                foreach (var node in remaining)
                {
                    result[node.Name] = NodeFacts.Unreadable(
                        node.Name,
                        tree is not null ? $"no cpuinfo in {tree.Root} and no SSH or API facts source configured" : "no SSH or API facts source configured",
                        FactsSource.Snapshot,
                        node.Addresses.FirstOrDefault() ?? "");
                }
            }
            else
            {
                var subset = new ClusterMembership(membership.ClusterName, remaining, membership.IsStandalone) { IpVersion = membership.IpVersion };
                foreach (var facts in await remote.GetFactsAsync(subset, cancellationToken).ConfigureAwait(false))
                {
                    result[facts.Node] = facts;
                }
            }
        }

        return membership.Nodes.Select(n => result[n.Name]).ToList();
    }

    private bool IsLocal(ClusterNode node) => string.Equals(node.Name, localNode, StringComparison.Ordinal);

    /// <summary>The line that reports a published document for this node that this node did not write.</summary>
    private string ForeignDocument(Core.Facts.NodeFactsDocument foreign, NodeFacts own)
    {
        var where = Path.Combine("nodes", foreign.Node, PublishedFacts.FolderName, PublishedFacts.FileName);
        var line = $"{where}: not the facts {localNode} last published itself; ignored, {localNode} is judged by its own reading ({localCpuInfo})";
        var theirs = CpuInfoParser.Parse(foreign.CpuInfo, where);
        if (own.Cpu is { } cpu && theirs.IsSuccess)
        {
            var added = theirs.Value.Flags.Where(f => !cpu.Flags.Contains(f)).Order(StringComparer.Ordinal).ToList();
            var lacking = cpu.Flags.Where(f => !theirs.Value.Flags.Contains(f)).Order(StringComparer.Ordinal).ToList();
            if (added.Count > 0 || lacking.Count > 0 || theirs.Value.ModelName != cpu.ModelName)
            {
                line += $"; its cpuinfo disagrees with this node's ('{theirs.Value.ModelName}'"
                    + (added.Count > 0 ? $", claims {string.Join(' ', added.Take(8))}{(added.Count > 8 ? $" and {added.Count - 8} more" : "")}" : "")
                    + (lacking.Count > 0 ? $", lacks {string.Join(' ', lacking.Take(8))}{(lacking.Count > 8 ? $" and {lacking.Count - 8} more" : "")}" : "")
                    + ")";
            }
        }

        return line;
    }

    /// <summary>
    /// A snapshot's cpuinfo judged by the QEMU answer the node published, when the snapshot carries it, with the
    /// kernel the node published (what a change of its CPU is shown beside).
    /// </summary>
    private NodeFacts WithSnapshotQemu(NodeFacts facts)
    {
        if (facts.Cpu is null || PublishedFacts.TryReadDocument(fileSystem, tree!.Root, facts.Node, out _) is not { } document)
        {
            return facts;
        }

        var kernel = document.Kernel.Length is > 0 and <= 256 ? document.Kernel : facts.Kernel;
        return document.Qemu is { } qemu ? facts with { Qemu = qemu, QemuCappedByCpuInfo = true, Kernel = kernel } : facts with { Kernel = kernel };
    }

    /// <summary>This node's own QEMU under KVM, asked directly when no fresh published facts exist.</summary>
    private async Task<NodeFacts> WithLocalQemuAsync(NodeFacts facts, CancellationToken cancellationToken)
    {
        if (facts.Cpu is null || localProbe is null)
        {
            return facts;
        }

        var answer = await localProbe.ProbeAsync(cancellationToken).ConfigureAwait(false);
        return answer.Answer is { } qemu ? facts with { Qemu = qemu } : facts;
    }

    private NodeFacts ReadLocal(ClusterNode node)
    {
        var address = node.Addresses.FirstOrDefault() ?? "";
        try
        {
            var parsed = CpuInfoParser.Parse(fileSystem.ReadAllText(localCpuInfo, FileLimits.ForCpuInfo), localCpuInfo);
            return parsed.IsSuccess
                ? NodeFacts.Readable(node.Name, parsed.Value, FactsSource.Local, address, clock.GetUtcNow())
                : NodeFacts.Unreadable(node.Name, parsed.Error.ToString(), FactsSource.Local, address);
        }
        catch (IOException e)
        {
            return NodeFacts.Unreadable(node.Name, $"{localCpuInfo}: {e.Message}", FactsSource.Local, address);
        }
        catch (UnauthorizedAccessException e)
        {
            return NodeFacts.Unreadable(node.Name, $"{localCpuInfo}: {e.Message}", FactsSource.Local, address);
        }
    }
}

/// <summary>Chooses the adapters: a snapshot or /etc/pve tree with --from, otherwise this node's corosync.conf and /etc/pve.</summary>
public sealed class DefaultSourceFactory(CliEnvironmentAccess access, Func<RunSettings, INodeFactsSource>? sshFactory = null, Func<string?, INodeQemuProbe>? qemuProbe = null) : ISourceFactory
{
    public ClusterSources Create(RunSettings settings)
    {
        var fs = access.FileSystem;

        // Another cluster (--to-cluster): no node of it is this host, so no name may match one ("" never does).
        var localNode = settings.IsRemote ? "" : settings.LocalNode ?? access.HostName();
        if (settings.From is { } from)
        {
            var tree = new PveTree(from, fs);
            tree.EnsureExists();
            var facts = new LayeredFactsSource(tree, localNode, settings.LocalCpuInfo, fs, null, access.Clock, from, settings.CacheMaxAge);
            return new ClusterSources(tree, facts, tree, from);
        }

        if (settings.HasApi)
        {
            return ApiSources(settings, localNode);
        }

        if (settings.IsRemote)
        {
            throw new GuardConfigurationException("the other cluster is described neither by an API url nor by a folder");
        }

        var membership = new CorosyncFileMembership(settings.CorosyncConf, fs, localNode);
        var local = new LayeredFactsSource(null, localNode, settings.LocalCpuInfo, fs, RemoteFacts(settings, null), access.Clock, Published(settings), settings.CacheMaxAge, LocalQemu(settings), PublishedFacts.OwnWritePath(settings.CacheFile));
        if (!IsProxmoxNode(settings))
        {
            // Not a Proxmox VE node: nodes and CPUs can still be read (corosync.conf, SSH), but there are no guests to
            // read here, and no output may claim anything was read from pve_root.
            // Without a corosync.conf the cluster is this host alone, read from its own /proc/cpuinfo: say that.
            var description = settings.CorosyncConf.Any(fs.FileExists)
                ? $"corosync.conf and SSH from {localNode} (not a Proxmox VE node)"
                : $"{settings.LocalCpuInfo} of {localNode} (no corosync.conf: a one-node cluster; not a Proxmox VE node)";
            return new ClusterSources(membership, Cached(settings, local), new NotANodeGuestSource(settings.PveRoot), description);
        }

        var pve = new PveTree(settings.PveRoot, fs);
        return new ClusterSources(membership, Cached(settings, local), pve, $"{settings.PveRoot} on {localNode}")
        {
            CustomModelTarget = new FileCustomModelTarget(settings.PveRoot, access.Clock),
            FactsWarnings = () => local.Warnings,
        };
    }

    /// <summary>Nodes, guests and (with facts.source auto or api) CPUs through the Proxmox API.</summary>
    private ClusterSources ApiSources(RunSettings settings, string localNode)
    {
        var api = settings.Config.Api;
        var options = ProxmoxApiOptions.FromConfig(
            api.Urls.Select(u => u.OriginalString).ToList(),
            api.TokenId,
            api.TokenSecretFile,
            api.Username,
            api.PasswordFile,
            api.CaFile,
            api.Fingerprint,
            api.InsecureSkipVerify,
            api.TimeoutSeconds,
            api.Parallelism);
        options = options with { Proxy = api.Proxy };
        var client = new ProxmoxClient(options, access.Clock);
        var apiFacts = new ApiNodeFactsSource(client, access.Clock);
        var remote = settings.IsRemote;
        INodeFactsSource facts = settings.FactsSource switch
        {
            "api" => apiFacts,
            _ when remote => apiFacts,
            "local" => new LayeredFactsSource(null, localNode, settings.LocalCpuInfo, access.FileSystem, null, access.Clock),
            _ => new LayeredFactsSource(null, localNode, settings.LocalCpuInfo, access.FileSystem, RemoteFacts(settings, apiFacts), access.Clock, Published(settings), settings.CacheMaxAge, LocalQemu(settings), PublishedFacts.OwnWritePath(settings.CacheFile)),
        };

        // Nodes without a QEMU answer of their own get Proxmox's KVM flags (9.1.15+) on top of cpuinfo, where offered.
        var kvmFlags = settings.FactsSource == "local" ? null : new ApiKvmFlagsFactsSource(facts, client);
        return new ClusterSources(new ApiMembershipSource(client), Cached(settings, kvmFlags ?? facts), new ApiGuestSource(client, () => remote ? null : LocalCustomModels(settings)), $"the Proxmox API at {client.ActiveUrl}", new ApiGuestWriter(client))
        {
            Warnings = client.InsecureWarning is { } warning ? [warning] : [],
            Resources = client,
            FactsNotes = kvmFlags is null ? null : () => kvmFlags.Notes,
            FactsWarnings = facts is LayeredFactsSource layered ? () => layered.Warnings : null,
            CustomModelTarget = new ApiCustomModelTarget(client),
        };
    }

    /// <summary>pmxcfs always holds <c>nodes/</c>: its presence under <c>cluster.pve_root</c> is what makes this host a node.</summary>
    private bool IsProxmoxNode(RunSettings settings) => access.FileSystem.DirectoryExists(Path.Combine(settings.PveRoot, "nodes"));

    /// <summary>
    /// On a node, the cluster's cpu-models.conf is one file read away, complete and unfiltered by privileges, on every
    /// release: prefer it to the API (a node without the file has no custom models). Null on any other host.
    /// </summary>
    private (string Text, string Origin)? LocalCustomModels(RunSettings settings)
    {
        if (!IsProxmoxNode(settings))
        {
            return null;
        }

        var path = Path.Combine(settings.PveRoot, "virtual-guest", "cpu-models.conf");
        try
        {
            return (access.FileSystem.FileExists(path) ? access.FileSystem.ReadAllText(path, FileLimits.ForPmxcfs) : "", path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Live facts go through the state cache (facts.cache_file): each node's last facts are kept for the hook's fast
    /// path, and with --allow-partial a node that cannot be read now is judged with its last known facts.
    /// </summary>
    private INodeFactsSource Cached(RunSettings settings, INodeFactsSource live) =>
        settings.CacheFile is { Length: > 0 } path
            ? new CachingFactsSource(live, FactsCache.Load(path), access.Clock, new CachingOptions
            {
                OfferLastKnown = settings.AllowPartial,
                MaxAge = settings.CacheMaxAge,
                IdentityOf = node => NodeIdentity(settings, node),
            })
            : live;

    /// <summary>facts.source = auto prefers each node's own published facts under pve_root (fresh within facts.max_age_seconds).</summary>
    private static string? Published(RunSettings settings) => settings.FactsSource == "auto" ? settings.PveRoot : null;

    /// <summary>facts.source = auto asks this node's own QEMU when its published facts are missing or old.</summary>
    private INodeQemuProbe? LocalQemu(RunSettings settings) => settings.FactsSource == "auto" ? qemuProbe?.Invoke(settings.QemuBinary) : null;

    /// <summary>
    /// Which machine a node name stands for now, known without reaching it: the host key Proxmox keeps for it in
    /// <c>&lt;pve_root&gt;/nodes/&lt;node&gt;/ssh_known_hosts</c> (rewritten when a node is reinstalled and rejoined).
    /// Null off a node or when the file has no usable key: then no cached facts stand in for it.
    /// </summary>
    private string? NodeIdentity(RunSettings settings, string node)
    {
        if (node is "." or ".." || node.Contains('/', StringComparison.Ordinal))
        {
            return null;
        }

        var path = Path.Combine(settings.PveRoot, "nodes", node, "ssh_known_hosts");
        try
        {
            if (!access.FileSystem.FileExists(path))
            {
                return null;
            }

            var keys = Infrastructure.Ssh.KnownHosts.Parse(access.FileSystem.ReadAllText(path, FileLimits.ForPmxcfs), path).Entries
                .Where(e => e.Marker == Infrastructure.Ssh.KnownHostMarker.None)
                .Select(e => Infrastructure.Ssh.HostKeys.Fingerprint(e.KeyBlob))
                .Order(StringComparer.Ordinal)
                .ToList();
            return keys.Count == 0 ? null : "ssh-host-key:" + string.Join(",", keys);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Where the other nodes' CPUs come from: facts.source = ssh, or auto without API credentials, is SSH.</summary>
    private INodeFactsSource? RemoteFacts(RunSettings settings, INodeFactsSource? api) => settings.FactsSource switch
    {
        "local" => null,
        "api" => api,
        _ => api ?? sshFactory?.Invoke(settings),
    };
}

/// <summary>Guests on a host that is not a Proxmox VE node: there are none to read, which is an error, not an empty cluster.</summary>
public sealed class NotANodeGuestSource(string pveRoot) : IGuestSource
{
    public Task<GuestInventory> GetGuestsAsync(CancellationToken cancellationToken) =>
        throw new SourceUnavailableException(
            $"this host is not a Proxmox VE node (no {Path.Combine(pveRoot, "nodes")}), so it has no guest configs: " +
            "run on a node, configure [api] url and credentials, or use --from <snapshot>");
}

/// <summary>The parts of the environment the source factory needs.</summary>
public sealed record CliEnvironmentAccess(IFileSystem FileSystem, TimeProvider Clock, Func<string> HostName);

/// <summary>
/// Creates the real source on first use: an SSH identity that does not exist must not fail a run that never
/// needs SSH (a standalone node, a snapshot), and must fail with its own clear error when SSH is needed.
/// </summary>
public sealed class DeferredFactsSource(Func<INodeFactsSource> create) : INodeFactsSource, IDisposable
{
    private INodeFactsSource? _inner;

    public Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken) =>
        (_inner ??= create()).GetFactsAsync(membership, cancellationToken);

    public void Dispose() => (_inner as IDisposable)?.Dispose();
}
