using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Infrastructure.Proxmox;
using ProxClmc.Guard.Infrastructure.Qemu;
using ProxClmc.Guard.Infrastructure.Snapshot;
using ProxClmc.Guard.Pipeline;

namespace ProxClmc.Guard.Composition;

/// <summary>Chooses the adapters: a snapshot or /etc/pve tree with --from, otherwise this node's corosync.conf and /etc/pve.</summary>
internal sealed class DefaultSourceFactory(CliEnvironmentAccess access, Func<RunSettings, INodeFactsSource>? sshFactory = null, Func<string?, INodeQemuProbe>? qemuProbe = null) : ISourceFactory
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
            FactsSourceMode.Api => apiFacts,
            _ when remote => apiFacts,
            FactsSourceMode.Local => new LayeredFactsSource(null, localNode, settings.LocalCpuInfo, access.FileSystem, null, access.Clock),
            _ => new LayeredFactsSource(null, localNode, settings.LocalCpuInfo, access.FileSystem, RemoteFacts(settings, apiFacts), access.Clock, Published(settings), settings.CacheMaxAge, LocalQemu(settings), PublishedFacts.OwnWritePath(settings.CacheFile)),
        };

        // Nodes without a QEMU answer of their own get Proxmox's KVM flags (9.1.15+) on top of cpuinfo, where offered.
        var kvmFlags = settings.FactsSource == FactsSourceMode.Local ? null : new ApiKvmFlagsFactsSource(facts, client);
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
    private static string? Published(RunSettings settings) => settings.FactsSource == FactsSourceMode.Auto ? settings.PveRoot : null;

    /// <summary>facts.source = auto asks this node's own QEMU when its published facts are missing or old.</summary>
    private INodeQemuProbe? LocalQemu(RunSettings settings) => settings.FactsSource == FactsSourceMode.Auto ? qemuProbe?.Invoke(settings.QemuBinary) : null;

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
        FactsSourceMode.Local => null,
        FactsSourceMode.Api => api,
        _ => api ?? sshFactory?.Invoke(settings),
    };
}
