using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Core.Sources;

using ProxClmc.Guard.Application.Scan;

namespace ProxClmc.Guard.Application.Pipeline;

/// <summary>
/// The one pipeline every verb runs (docs/ARCHITECTURE.md, "One scan, start to end"): sources differ only in adapters.
/// </summary>
public sealed class GuardPipeline(RunSettings settings, ClusterSources sources, CpuCatalog catalog, TimeProvider clock, Func<string, string> readAssumedCpuInfo)
{
    public RunSettings Settings => settings;

    public ClusterSources Sources => sources;

    public CpuCatalog Catalog => catalog;

    /// <summary>Receives what a run must tell the administrator without failing (HA rules the HA manager ignores).</summary>
    public Action<string>? Warn { get; init; }

    /// <summary>Receives what a run may tell on request (-v): which optional facts source was used, or why not.</summary>
    public Action<string>? Debug { get; init; }

    public async Task<ClusterAnalysis> AnalyzeAsync(CancellationToken cancellationToken)
    {
        var membership = await sources.Membership.GetMembershipAsync(cancellationToken).ConfigureAwait(false);
        membership = ApplyWhatIf(membership);

        var real = new ClusterMembership(membership.ClusterName, membership.Nodes.Where(n => !IsAssumed(n.Name)).ToList(), membership.IsStandalone)
        {
            IpVersion = membership.IpVersion,
        };
        var facts = new List<NodeFacts>(await sources.Facts.GetFactsAsync(real, cancellationToken).ConfigureAwait(false));
        facts.AddRange(settings.AssumeNodes.Select(ReadAssumed));
        foreach (var note in sources.FactsNotes?.Invoke() ?? [])
        {
            Debug?.Invoke(note);
        }

        foreach (var warning in sources.FactsWarnings?.Invoke() ?? [])
        {
            Warn?.Invoke(warning);
        }

        var ordered = membership.Nodes
            .Select(n => facts.FirstOrDefault(f => f.Node == n.Name) ?? NodeFacts.Unreadable(n.Name, "no facts returned", FactsSource.Local))
            .ToList();
        // No node read is no answer at all, whatever --allow-partial says: a baseline of nothing would call every guest safe.
        if (!ordered.Any(f => f.Cpu is not null))
        {
            throw new NoAnswerException(
                ordered.Count == 0
                    ? "no node could be read: --without-node left out every node of the cluster"
                    : $"no node could be read ({string.Join("; ", ordered.Select(f => $"{f.Node}: {f.Error ?? "no facts"}"))})");
        }

        var baseline = ClusterBaseline.Compute(ordered, catalog, settings.Policy);
        return new ClusterAnalysis(membership, ordered, baseline, sources.Description);
    }

    public async Task<ScanResult> ScanAsync(CancellationToken cancellationToken)
    {
        var cluster = await AnalyzeAsync(cancellationToken).ConfigureAwait(false);
        var inventory = await sources.Guests.GetGuestsAsync(cancellationToken).ConfigureAwait(false);
        var customModels = ParseCustomModels(inventory).WithUnresolved(inventory.UnresolvedCustomModels);
        var ha = HaPlacement.Compute(inventory.Ha, cluster.Membership.Nodes.Select(n => n.Name).ToList());
        foreach (var warning in ha.Warnings)
        {
            Warn?.Invoke(warning);
        }

        var evaluator = new ComplianceEvaluator(cluster.Baseline, catalog, settings.Policy, customModels, ha);
        var report = evaluator.EvaluateAll(inventory.Guests, clock.GetUtcNow());
        return new ScanResult(cluster, inventory, customModels, report) { Ha = ha };
    }

    public static CustomCpuModels ParseCustomModels(GuestInventory inventory)
    {
        if (inventory.CustomCpuModelsText is not { } text)
        {
            return CustomCpuModels.Empty;
        }

        var parsed = CustomCpuModels.Parse(text, inventory.CustomCpuModelsOrigin ?? "cpu-models.conf");
        return parsed.IsSuccess ? parsed.Value : throw new Core.Parsing.ParseException(parsed.Error);
    }

    private bool IsAssumed(string node) => settings.AssumeNodes.Any(a => a.Name == node);

    private ClusterMembership ApplyWhatIf(ClusterMembership membership)
    {
        foreach (var gone in settings.WithoutNodes)
        {
            if (membership.Nodes.All(n => n.Name != gone))
            {
                throw new InvalidRequestException($"--without-node {gone}: no such node in the cluster ({string.Join(", ", membership.Nodes.Select(n => n.Name))})");
            }
        }

        var nodes = membership.Nodes.Where(n => !settings.WithoutNodes.Contains(n.Name)).ToList();
        foreach (var assumed in settings.AssumeNodes)
        {
            nodes.RemoveAll(n => n.Name == assumed.Name);
            nodes.Add(new ClusterNode(assumed.Name, null, []));
        }

        return new ClusterMembership(membership.ClusterName, nodes, membership.IsStandalone && nodes.Count == 1) { IpVersion = membership.IpVersion };
    }

    private NodeFacts ReadAssumed(AssumedNode node)
    {
        var parsed = CpuInfoParser.Parse(readAssumedCpuInfo(node.CpuInfoFile), node.CpuInfoFile);
        if (!parsed.IsSuccess)
        {
            throw new Core.Parsing.ParseException(parsed.Error);
        }

        return NodeFacts.Readable(node.Name, parsed.Value, FactsSource.Assumed, "", clock.GetUtcNow());
    }
}
