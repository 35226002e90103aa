using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.Core.Sources;
using Serilog;

namespace ProxClmc.Guard.Application.ToCluster;

/// <summary>
/// <c>--to-cluster REMOTE</c> on <c>check</c>, <c>scan</c> and <c>baseline</c>: this cluster's guests judged against
/// another cluster's nodes, before a <c>qm remote-migrate</c> (or a move in Proxmox Datacenter Manager). Proxmox
/// checks nothing about the CPU before such a move, apart from custom models (see <see cref="CrossClusterJudge"/>).
/// The other cluster is read through the same sources as this one (<paramref name="pipelineFor"/>), from the settings
/// <see cref="RemoteCluster.Resolve"/> makes of REMOTE.
/// </summary>
public sealed class ToClusterJudging(
    RunSettings settings,
    Func<GuardPipeline> localPipeline,
    Func<RunSettings, GuardPipeline> pipelineFor,
    IFileStore files,
    Func<string, GuardConfig> loadConfigFile,
    TimeProvider clock,
    ILogger log)
{
    /// <summary>The other cluster: its nodes and facts, and (<paramref name="withModels"/>) its custom models.</summary>
    public async Task<RemoteClusterView> ReadRemoteAsync(string remote, bool withModels, CancellationToken cancellationToken)
    {
        var remoteSettings = RemoteCluster.Resolve(remote, settings, files, loadConfigFile);
        var pipeline = pipelineFor(remoteSettings);
        var cluster = await pipeline.AnalyzeAsync(cancellationToken).ConfigureAwait(false);
        if (!withModels)
        {
            return new RemoteClusterView(remoteSettings, cluster, null);
        }

        // The remote's guests are read only for its custom models (the API gives them with the guest list).
        var inventory = await pipeline.Sources.Guests.GetGuestsAsync(cancellationToken).ConfigureAwait(false);
        // A folder without cpu-models.conf defines none; an API that gives no definitions (before 9.1.15) leaves them unknown.
        var models = inventory.CustomCpuModelsText is not null
            ? GuardPipeline.ParseCustomModels(inventory).WithUnresolved(inventory.UnresolvedCustomModels)
            : remoteSettings.From is not null ? CustomCpuModels.Empty : null;
        return new RemoteClusterView(remoteSettings, cluster, models);
    }

    /// <summary><c>scan --to-cluster</c>: every guest of this cluster judged against the other cluster's nodes.</summary>
    public async Task<ToClusterScanResult> ScanAsync(ToClusterScanRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var local = await localPipeline().ScanAsync(cancellationToken).ConfigureAwait(false);
        request.ValidateLocal?.Invoke(local);
        foreach (var warning in local.Inventory.Warnings)
        {
            log.Warning("{Warning}", warning);
        }

        var remote = await ReadRemoteAsync(request.Remote, withModels: true, cancellationToken).ConfigureAwait(false);
        var judge = new CrossClusterJudge(remote.Cluster.Baseline, CpuCatalog.Default, settings.Policy, local.CustomModels, remote.Models, remote.Name);
        var now = clock.GetUtcNow();
        var judged = judge.EvaluateAll(local.Inventory.Guests, now);
        return new ToClusterScanResult(local, remote, request.Filter is { } filter ? filter(judged) : judged, now);
    }

    /// <summary><c>check &lt;vmid&gt; --to-cluster</c>: per node of the other cluster (or only the target), can this VM run there?</summary>
    public async Task<ToClusterCheckResult> CheckAsync(ToClusterCheckRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var local = await localPipeline().ScanAsync(cancellationToken).ConfigureAwait(false);
        var guest = local.Inventory.Guests.FirstOrDefault(g => g.VmId == request.VmId)
            ?? throw new InvalidRequestException($"VM {request.VmId}: no such guest in the cluster ({local.Cluster.SourceDescription})");
        var remote = await ReadRemoteAsync(request.Remote, withModels: true, cancellationToken).ConfigureAwait(false);
        var remoteNodes = remote.Cluster.Membership.Nodes.Select(n => n.Name).ToList();
        if (request.Target is { } target && !remoteNodes.Contains(target))
        {
            throw new InvalidRequestException($"--target {target}: no such node in {remote.Name} ({string.Join(", ", remoteNodes)})");
        }

        var judge = new CrossClusterJudge(remote.Cluster.Baseline, CpuCatalog.Default, settings.Policy, local.CustomModels, remote.Models, remote.Name);
        var verdict = judge.Evaluate(guest);
        var comparison = judge.CompareCustomModel(guest);
        var nodes = request.Target is null ? remoteNodes : [request.Target];
        var answers = nodes.Select(n => Answer(guest, n, local, remote, comparison, verdict, settings.Policy)).ToList();
        return new ToClusterCheckResult(guest, local, remote, verdict, comparison, answers);
    }

    /// <summary>
    /// <c>baseline --to-cluster</c>: the CPU type both clusters can run (for guests that move back and forth), from
    /// every node of both. The other cluster's nodes are named <c>&lt;remote&gt;/&lt;node&gt;</c>, since node names
    /// need not differ between clusters. <paramref name="guests"/> stands for the guests baseline does not read.
    /// </summary>
    public async Task<ToClusterBaselineResult> BaselineAsync(string remoteName, IGuestSource guests, CancellationToken cancellationToken)
    {
        var local = await localPipeline().AnalyzeAsync(cancellationToken).ConfigureAwait(false);
        var remote = await ReadRemoteAsync(remoteName, withModels: false, cancellationToken).ConfigureAwait(false);
        var prefix = remote.Name + "/";
        var nodes = local.Membership.Nodes.Concat(remote.Cluster.Membership.Nodes.Select(n => n with { Name = prefix + n.Name })).ToList();
        var facts = local.Facts.Concat(remote.Cluster.Facts.Select(f => f with { Node = prefix + f.Node })).ToList();
        var membership = new ClusterMembership($"{local.Membership.ClusterName ?? "this cluster"} + {remote.Cluster.Membership.ClusterName ?? remote.Name}", nodes);
        var combined = new ClusterSources(new FixedMembership(membership), new FixedFacts(facts), guests, $"this cluster ({local.SourceDescription}) and {remote.Name} ({remote.Cluster.SourceDescription})");
        return new ToClusterBaselineResult(local, remote, combined);
    }

    private static MigrationAnswer Answer(GuestConfig guest, string node, ScanResult local, RemoteClusterView remote, CustomModelComparison? comparison, GuestVerdict verdict, GuardPolicy policy)
    {
        switch (comparison?.Match)
        {
            case CustomModelMatch.Missing:
            case CustomModelMatch.Different:
                return new MigrationAnswer(node, false, verdict.Reason, verdict.Verdict);
            case CustomModelMatch.Unknown:
                return new MigrationAnswer(node, null, verdict.Reason, Verdict.Unverified);
        }

        // The pair (the VM's node here, that node there), as check judges a pair inside one cluster: named models
        // against the target alone, host/max against both CPUs, phys-bits=host against both widths. Names of the two
        // clusters may coincide: the source is given a name no node there can have.
        var source = $"{guest.Node} (here)";
        var facts = remote.Cluster.Facts.ToList();
        if (local.Cluster.Facts.FirstOrDefault(f => f.Node == guest.Node) is { } sourceFacts)
        {
            facts.Add(sourceFacts with { Node = source });
        }

        var advisor = new MigrationAdvisor(facts, CpuCatalog.Default, policy, remote.Models ?? CustomCpuModels.Empty);
        return advisor.Check(guest with { Node = source }, node);
    }

    private sealed class FixedMembership(ClusterMembership membership) : IMembershipSource
    {
        public Task<ClusterMembership> GetMembershipAsync(CancellationToken cancellationToken) => Task.FromResult(membership);
    }

    private sealed class FixedFacts(IReadOnlyList<NodeFacts> facts) : INodeFactsSource
    {
        public Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<NodeFacts>>(facts.Where(f => membership.Nodes.Any(n => n.Name == f.Node)).ToList());
    }
}
