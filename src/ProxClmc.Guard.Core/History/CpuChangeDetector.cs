using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;

namespace ProxClmc.Guard.Core.History;

/// <summary>
/// What changed in the cluster's CPU between the previous recorded scan and this one. Pure: both states and the
/// current verdicts in, the changes out (and the state to record, with the history).
/// </summary>
public static class CpuChangeDetector
{
    /// <summary>
    /// The changes from <paramref name="previous"/> to <paramref name="current"/>, baseline first, then node by node,
    /// then guests by VM id. <paramref name="report"/> (the current verdicts) says which lost flags some guest uses.
    /// A node that could not be read on either side is not compared; nor are the baseline and the verdicts while the
    /// baseline is partial (a baseline of fewer nodes says nothing about the cluster's CPU).
    /// </summary>
    public static IReadOnlyList<CpuChange> Compare(ClusterState previous, ClusterState current, ComplianceReport report, CpuCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(report);
        var visible = ComplianceEvaluator.GuestVisibleFeatures.Of(catalog);
        var since = previous.RecordedAt;
        var at = current.RecordedAt;
        var changes = new List<CpuChange>();
        var comparable = !previous.BaselinePartial && !current.BaselinePartial;

        if (comparable && (previous.BaselineLevel != current.BaselineLevel || previous.BaselineNamed != current.BaselineNamed))
        {
            var down = ClusterState.LevelNumber(current.BaselineLevel) < ClusterState.LevelNumber(previous.BaselineLevel);
            changes.Add(new CpuChange
            {
                Kind = CpuChangeKind.BaselineChanged,
                Since = since,
                At = at,
                From = previous.BaselineLevel,
                To = current.BaselineLevel,
                NamedFrom = previous.BaselineNamed,
                NamedTo = current.BaselineNamed,
                IsLoss = down,
                IsWarning = down,
            });
        }

        var before = previous.Nodes.GroupBy(n => n.Node, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var now = current.Nodes.Select(n => n.Node).ToHashSet(StringComparer.Ordinal);
        foreach (var node in current.Nodes)
        {
            if (!before.TryGetValue(node.Node, out var old))
            {
                changes.Add(new CpuChange { Kind = CpuChangeKind.NodeJoined, Since = since, At = at, Node = node.Node });
                continue;
            }

            if (old.Readable && node.Readable)
            {
                changes.AddRange(CompareNode(old, node, since, at, report, visible));
            }
        }

        foreach (var gone in previous.Nodes.Where(n => !now.Contains(n.Node)))
        {
            changes.Add(new CpuChange { Kind = CpuChangeKind.NodeLeft, Since = since, At = at, Node = gone.Node });
        }

        if (comparable)
        {
            foreach (var (vmid, verdict) in current.Guests.OrderBy(g => g.Key))
            {
                if (previous.Guests.TryGetValue(vmid, out var was) && was != verdict)
                {
                    var unsafeNow = IsUnsafe(verdict) && !IsUnsafe(was);
                    changes.Add(new CpuChange
                    {
                        Kind = CpuChangeKind.GuestVerdictChanged,
                        Since = since,
                        At = at,
                        VmId = vmid,
                        Node = current.GuestNodes.GetValueOrDefault(vmid),
                        From = was,
                        To = verdict,
                        IsLoss = unsafeNow,
                    });
                }
            }
        }

        return changes;
    }

    /// <summary>The state to write: <paramref name="current"/> with <paramref name="changes"/> in front of the earlier history, at most <see cref="ClusterState.MaxHistory"/>.</summary>
    public static ClusterState Record(ClusterState current, ClusterState? previous, IReadOnlyList<CpuChange> changes)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(changes);
        var history = changes.Concat(previous?.History ?? []).Take(ClusterState.MaxHistory).ToList();

        // A node that could not be read keeps what it last showed, so its next readable scan compares with that.
        var nodes = current.Nodes
            .Select(n => !n.Readable && previous?.Nodes.FirstOrDefault(p => p.Node == n.Node && p.Readable) is { } last ? last : n)
            .ToList();
        var recorded = current with { Nodes = nodes, History = history };

        // A partial baseline says nothing about the cluster: keep the last complete one and its verdicts to compare with.
        return current.BaselinePartial && previous is { BaselinePartial: false }
            ? recorded with { BaselineLevel = previous.BaselineLevel, BaselineNamed = previous.BaselineNamed, BaselinePartial = false, Guests = previous.Guests }
            : recorded;
    }

    private static IEnumerable<CpuChange> CompareNode(NodeState old, NodeState node, DateTimeOffset since, DateTimeOffset at, ComplianceReport report, ComplianceEvaluator.GuestVisibleFeatures visible)
    {
        var software = new SoftwareChange(Diff(old.Kernel, node.Kernel), Diff(old.Microcode, node.Microcode), Diff(old.Qemu, node.Qemu));
        var softwareOrNull = software.IsEmpty ? null : software;
        var had = old.Flags.ToHashSet(StringComparer.Ordinal);
        var has = node.Flags.ToHashSet(StringComparer.Ordinal);
        var lost = Rank(had.Where(f => !has.Contains(f)), visible);
        var gained = Rank(has.Where(f => !had.Contains(f)), visible);

        if (lost.Count > 0)
        {
            var inUse = FlagsInUse(report, node.Node);
            yield return new CpuChange
            {
                Kind = CpuChangeKind.NodeLostFlags,
                Since = since,
                At = at,
                Node = node.Node,
                Flags = lost,
                Software = softwareOrNull,
                IsLoss = true,
                IsWarning = lost.Any(inUse),
            };
        }

        if (old.Level != node.Level || old.Named != node.Named)
        {
            var down = ClusterState.LevelNumber(node.Level) < ClusterState.LevelNumber(old.Level)
                || (CpuCatalog.TryParseLevel(node.Level, out var a) && CpuCatalog.TryParseLevel(old.Level, out var b) && a < b);
            yield return new CpuChange
            {
                Kind = CpuChangeKind.NodeLevelChanged,
                Since = since,
                At = at,
                Node = node.Node,
                From = old.Level,
                To = node.Level,
                NamedFrom = old.Named,
                NamedTo = node.Named,
                IsLoss = down,
                IsWarning = down,
            };
        }

        if (gained.Count > 0)
        {
            yield return new CpuChange { Kind = CpuChangeKind.NodeGainedFlags, Since = since, At = at, Node = node.Node, Flags = gained, Software = softwareOrNull };
        }

        if (lost.Count == 0 && gained.Count == 0 && softwareOrNull is not null)
        {
            yield return new CpuChange { Kind = CpuChangeKind.NodeSoftwareChanged, Since = since, At = at, Node = node.Node, Software = softwareOrNull };
        }
    }

    /// <summary>
    /// Whether a flag the node lost is one some guest's CPU type uses: a guest that now cannot run on the node for
    /// lack of it, or a host/max guest that may run there (it uses every flag the node passes through).
    /// </summary>
    private static Func<string, bool> FlagsInUse(ComplianceReport report, string node)
    {
        var missing = new HashSet<string>(StringComparer.Ordinal);
        var passThrough = false;
        foreach (var verdict in report.Verdicts)
        {
            if (verdict.Verdict == Verdict.HostCpu && (verdict.Fits.Count == 0 || verdict.Fits.Any(f => f.Node == node)))
            {
                passThrough = true;
            }

            foreach (var fit in verdict.Fits)
            {
                if (fit.Node == node)
                {
                    foreach (var flag in fit.MissingFlags)
                    {
                        // "vmx (hv-evmcs)": the cpuinfo flag, then the QEMU feature that needs it.
                        var space = flag.IndexOf(' ', StringComparison.Ordinal);
                        missing.Add(space > 0 ? flag[..space] : flag);
                    }
                }
            }
        }

        return flag => passThrough || missing.Contains(flag);
    }

    private static List<string> Rank(IEnumerable<string> flags, ComplianceEvaluator.GuestVisibleFeatures visible)
    {
        var all = flags.ToList();
        var known = visible.Rank(all.Where(visible.Contains));
        known.AddRange(all.Where(f => !visible.Contains(f)).Order(StringComparer.Ordinal));
        return known;
    }

    private static ValueChange? Diff(string? from, string? to) =>
        from is not null && to is not null && !string.Equals(from, to, StringComparison.Ordinal) ? new ValueChange(from, to) : null;

    private static bool IsUnsafe(string verdict) =>
        VerdictNames.All.FirstOrDefault(v => v.Name() == verdict) is var v && v.Name() == verdict && v.IsUnsafe();
}
