using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Facts;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Infrastructure.Proxmox;
using ProxClmc.Guard.Infrastructure.Qemu;
using ProxClmc.Guard.Infrastructure.Snapshot;

namespace ProxClmc.Guard.Composition;

/// <summary>Chooses the adapters: a snapshot or /etc/pve tree with --from, otherwise this node's corosync.conf and /etc/pve.</summary>
internal sealed class DefaultSourceFactory(CliEnvironmentAccess access, Func<RunSettings, INodeFactsSource>? sshFactory = null, Func<string?, INodeQemuProbe>? qemuProbe = null, bool recordFacts = true) : ISourceFactory
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
            var facts = CompositionRoot.TreeFacts(tree, localNode, settings.LocalCpuInfo, fs, access.Clock, settings.CacheMaxAge);
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
        var local = Resolver(settings, localNode, own: true, RemoteFacts(settings, null), enricher: null);
        if (!IsProxmoxNode(settings))
        {
            // Not a Proxmox VE node: nodes and CPUs can still be read (corosync.conf, SSH), but there are no guests to
            // read here, and no output may claim anything was read from pve_root.
            // Without a corosync.conf the cluster is this host alone, read from its own /proc/cpuinfo: say that.
            var description = settings.CorosyncConf.Any(fs.FileExists)
                ? $"corosync.conf and SSH from {localNode} (not a Proxmox VE node)"
                : $"{settings.LocalCpuInfo} of {localNode} (no corosync.conf: a one-node cluster; not a Proxmox VE node)";
            return new ClusterSources(membership, local, new NotANodeGuestSource(settings.PveRoot), description) { FactsWarnings = () => local.Warnings };
        }

        var pve = new PveTree(settings.PveRoot, fs);
        return new ClusterSources(membership, local, pve, $"{settings.PveRoot} on {localNode}")
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

        // Nodes without a QEMU answer of their own get Proxmox's KVM flags (9.1.15+) on top of cpuinfo, where offered.
        var kvmFlags = settings.FactsSource == FactsSourceMode.Local ? null : new KvmFlagsEnricher(client);
        var facts = settings.FactsSource switch
        {
            // Every node, this one too, from the API: no published facts, no own reading.
            FactsSourceMode.Api => Resolver(settings, localNode, own: false, apiFacts, kvmFlags, published: false),
            _ when remote => Resolver(settings, localNode, own: false, apiFacts, kvmFlags, published: false),
            FactsSourceMode.Local => Resolver(settings, localNode, own: true, null, null, published: false, probe: false),
            _ => Resolver(settings, localNode, own: true, RemoteFacts(settings, apiFacts), kvmFlags),
        };

        return new ClusterSources(new ApiMembershipSource(client), facts, new ApiGuestSource(client, () => remote ? null : LocalCustomModels(settings)), $"the Proxmox API at {client.ActiveUrl}", new ApiGuestWriter(client))
        {
            Warnings = client.InsecureWarning is { } warning ? [warning] : [],
            Resources = client,
            FactsNotes = kvmFlags is null ? null : () => kvmFlags.Notes,
            FactsWarnings = settings.FactsSource is FactsSourceMode.Api || remote ? null : () => facts.Warnings,
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

    /// <summary>The one node-facts resolver of this run, with the run's rules (<see cref="CompositionRoot.FactsRules"/>).</summary>
    private NodeFactsResolver Resolver(RunSettings settings, string localNode, bool own, INodeFactsSource? remote, INodeFactsEnricher? enricher, bool published = true, bool probe = true) =>
        CompositionRoot.FactsResolver(settings, access.FileSystem, access.Clock, localNode, new NodeFactsPorts
        {
            Published = published && settings.FactsSource == FactsSourceMode.Auto ? new PublishedFactsTree(access.FileSystem, settings.PveRoot, PublishedFacts.OwnWritePath(settings.CacheFile)) : null,
            Own = own ? new OwnCpuInfoReading(access.FileSystem, settings.LocalCpuInfo, access.Clock, probe && settings.FactsSource == FactsSourceMode.Auto ? qemuProbe?.Invoke(settings.QemuBinary) : null) : null,
            Live = remote,
            Enricher = enricher,
            RecordInCache = recordFacts,
        });

    /// <summary>Where the other nodes' CPUs come from: facts.source = ssh, or auto without API credentials, is SSH.</summary>
    private INodeFactsSource? RemoteFacts(RunSettings settings, INodeFactsSource? api) => settings.FactsSource switch
    {
        FactsSourceMode.Local => null,
        FactsSourceMode.Api => api,
        _ => api ?? sshFactory?.Invoke(settings),
    };
}
