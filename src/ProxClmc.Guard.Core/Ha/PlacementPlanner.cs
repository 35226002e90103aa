using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Core.Ha;

/// <summary>What <c>fix --strategy placement</c> does with one unsafe guest.</summary>
public enum PlacementAction
{
    /// <summary>Create a strict node-affinity rule (PVE 9) for the guest.</summary>
    CreateRule,

    /// <summary>Create a restricted group (PVE 8) and put the guest's resource in it.</summary>
    CreateGroup,

    /// <summary>Not HA-managed: the hookscript is its guard; the CPU is left alone.</summary>
    Hookscript,

    /// <summary>Left alone, with the reason.</summary>
    Skip,
}

/// <summary>One guest of a placement plan: what it keeps (its CPU) and what it loses (the nodes it may no longer use).</summary>
public sealed record PlacementEntry
{
    public required int VmId { get; init; }

    public required string Node { get; init; }

    public string? Name { get; init; }

    public required string Cpu { get; init; }

    public required PlacementAction Action { get; init; }

    /// <summary>The HA resource id (<c>vm:105</c>), for HA guests.</summary>
    public string? Sid { get; init; }

    /// <summary>The rule or group to create.</summary>
    public string? RuleId { get; init; }

    /// <summary>The nodes the guest keeps (the rule's nodes).</summary>
    public IReadOnlyList<string> KeepsNodes { get; init; } = [];

    /// <summary>The nodes it may no longer use.</summary>
    public IReadOnlyList<string> LosesNodes { get; init; } = [];

    public required string Reason { get; init; }

    public bool IsChange => Action is PlacementAction.CreateRule or PlacementAction.CreateGroup;
}

/// <summary>A placement plan: strict rules (or restricted groups) that keep unsafe HA guests on the nodes that can run them.</summary>
public sealed record PlacementPlan(string Id, DateTimeOffset CreatedAt, bool UsesRules, IReadOnlyList<PlacementEntry> Entries)
{
    /// <summary>
    /// The digests of ha/resources.cfg and ha/rules.cfg (or groups.cfg) as the API gave them before the plan read the
    /// HA configuration: the plan is written only while they are unchanged. Null for a plan made from files.
    /// </summary>
    public string? HaDigest { get; init; }

    public IEnumerable<PlacementEntry> Changes() => Entries.Where(e => e.IsChange);
}

/// <summary>
/// Plans <c>fix --strategy placement</c>: instead of lowering an unsafe HA guest's CPU, pin it with a strict
/// node-affinity rule (PVE 9; <c>ha-manager rules add node-affinity</c>) or a restricted group (PVE 8) to the
/// nodes that can run it. A resource named by two node-affinity rules makes the HA manager drop both
/// (pve-ha-manager b71218f, Rules/NodeAffinity.pm check_single_resource_reference), so a guest that already has a
/// rule or group is left for the administrator to edit. A rule of fewer than two nodes leaves HA nowhere to
/// recover the guest, so it needs <c>allowSingleNode</c>.
/// </summary>
public static class PlacementPlanner
{
    /// <summary>The id of the rule or group made for a guest.</summary>
    public static string RuleIdFor(int vmId) => "proxclmc-vm" + vmId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static PlacementPlan Plan(
        ComplianceReport report,
        HaPlacement ha,
        bool usesRules,
        bool allowSingleNode,
        IReadOnlyCollection<int> vmIds,
        string id,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(ha);
        var nodes = report.Baseline.Nodes.Select(n => n.Node).ToList();
        var entries = new List<PlacementEntry>();
        foreach (var verdict in report.Verdicts.Where(v => v.Verdict.IsUnsafe() && (vmIds.Count == 0 || vmIds.Contains(v.Guest.VmId))))
        {
            entries.Add(PlanOne(verdict, ha.For(verdict.Guest), nodes, usesRules, allowSingleNode));
        }

        return new PlacementPlan(id, now, usesRules, entries);
    }

    private static PlacementEntry PlanOne(GuestVerdict verdict, GuestPlacement? placement, IReadOnlyList<string> nodes, bool usesRules, bool allowSingleNode)
    {
        var guest = verdict.Guest;
        var entry = new PlacementEntry
        {
            VmId = guest.VmId,
            Node = guest.Node,
            Name = guest.Name,
            Cpu = verdict.Cpu,
            Action = PlacementAction.Skip,
            Sid = placement?.Sid,
            Reason = "",
        };

        if (guest.Type == GuestType.Lxc)
        {
            return entry with { Reason = "container: no CPU model" };
        }

        if (placement is null)
        {
            return entry with
            {
                Action = PlacementAction.Hookscript,
                Reason = $"not HA-managed: the hookscript guards its migrations (proxclmc-guard hook attach --vmid {guest.VmId}); cpu left as it is",
            };
        }

        if (verdict.Verdict != Verdict.ExceedsBaseline)
        {
            return entry with { Reason = $"{verdict.Verdict.Name()}: placement cannot make it safe; use fix --strategy cpu" };
        }

        if (placement.Rule is { } rule)
        {
            var what = placement.Group is { } group ? $"HA group '{group}'" : $"HA rule '{rule.Id}'";
            return entry with { Reason = $"already placed by {what}: a second node-affinity rule would make the HA manager drop both; edit {what} by hand" };
        }

        var capable = verdict.Fits.Where(f => f.CanRun == true).Select(f => f.Node).ToList();
        var loses = nodes.Where(n => !capable.Contains(n)).ToList();
        if (capable.Count == 0)
        {
            return entry with { Reason = "no node can run it", LosesNodes = loses };
        }

        if (capable.Count < 2 && !allowSingleNode)
        {
            return entry with
            {
                Reason = $"only {capable[0]} can run it: a rule of one node leaves the HA manager nowhere to recover it (--allow-single-node pins it anyway)",
                KeepsNodes = capable,
                LosesNodes = loses,
            };
        }

        if (verdict.Fits.Any(f => f.CanRun is null))
        {
            return entry with { Reason = "some nodes could not be read: cannot tell which nodes can run it" };
        }

        var ruleId = RuleIdFor(guest.VmId);
        return entry with
        {
            Action = usesRules ? PlacementAction.CreateRule : PlacementAction.CreateGroup,
            RuleId = ruleId,
            KeepsNodes = capable,
            LosesNodes = loses,
            Reason = usesRules
                ? $"strict node-affinity rule '{ruleId}' on {string.Join(", ", capable)}; keeps cpu {verdict.Cpu}, may no longer use {string.Join(", ", loses)}"
                : $"restricted HA group '{ruleId}' on {string.Join(", ", capable)}; keeps cpu {verdict.Cpu}, may no longer use {string.Join(", ", loses)}",
        };
    }
}
