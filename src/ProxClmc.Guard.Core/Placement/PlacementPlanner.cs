using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;

namespace ProxClmc.Guard.Core.Placement;

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
/// recover the guest, so it needs <c>allowSingleNode</c>. The HA manager applies a node-affinity rule to the
/// partners of a positive resource-affinity rule too (Rules.pm
/// create_implicit_positive_resource_affinity_node_affinity_rules), so the rule's nodes are those every partner can
/// run on as well. Every rule planned is run through the HA manager's feasibility checks (<see cref="HaRuleCompiler"/>)
/// together with the configuration and the rules planned before it: one it would drop, or one that would make it drop
/// a rule already there, is not planned.
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
        var planned = new List<HaRule>();
        foreach (var verdict in report.Verdicts.Where(v => v.Verdict.IsUnsafe() && (vmIds.Count == 0 || vmIds.Contains(v.Guest.VmId))))
        {
            var placement = ha.For(verdict.Guest);
            var partners = placement is null ? [] : ha.Together(placement.Sid);
            var entry = PlanOne(verdict, placement, partners, report, nodes, usesRules, allowSingleNode);
            if (entry.IsChange)
            {
                // What the HA manager would make of it: a group becomes the rule ha-group-<name> (Groups.pm
                // migrate_groups_to_rules), restricted is strict.
                var rule = new HaRule
                {
                    Id = usesRules ? entry.RuleId! : "ha-group-" + entry.RuleId,
                    Type = HaRuleType.NodeAffinity,
                    Resources = [entry.Sid!],
                    Nodes = entry.KeepsNodes.Select(n => new HaNodePriority(n, 0)).ToList(),
                    Strict = true,
                };
                if (ha.WouldDrop([.. planned, rule]) is { Count: > 0 } problems)
                {
                    entry = entry with { Action = PlacementAction.Skip, RuleId = null, Reason = $"{string.Join("; ", problems)}; not planned" };
                }
                else
                {
                    planned.Add(rule);
                }
            }

            entries.Add(entry);
        }

        return new PlacementPlan(id, now, usesRules, entries);
    }

    private static PlacementEntry PlanOne(
        GuestVerdict verdict,
        GuestPlacement? placement,
        IReadOnlyList<(string Sid, HaRule Rule)> partners,
        ComplianceReport report,
        IReadOnlyList<string> nodes,
        bool usesRules,
        bool allowSingleNode)
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
            if (placement.InferredThrough is { } positive)
            {
                return entry with { Reason = $"already placed by {what} via positive {positive.Label}: a second node-affinity rule would make the HA manager drop them; edit {what} by hand" };
            }

            return entry with { Reason = $"already placed by {what}: a second node-affinity rule would make the HA manager drop both; edit {what} by hand" };
        }

        // A node-affinity rule (or group) the HA manager drops still names the guest: a second one would be dropped
        // with it (check_single_resource_reference), and on PVE 8 a new group would take the guest out of its group.
        if (placement.IgnoredRules.FirstOrDefault(d => d.Rule.Type == HaRuleType.NodeAffinity) is { } ignored)
        {
            var what = ignored.Rule.Origin is { } origin && origin.StartsWith("HA group ", StringComparison.Ordinal) ? origin : $"HA rule '{ignored.Rule.Id}'";
            return entry with { Reason = $"named by {what}, which the HA manager ignores ({string.Join(", ", ignored.Reasons.Distinct(StringComparer.Ordinal))}): a new rule would be dropped too; fix {what} by hand" };
        }

        // The partners a positive rule keeps with it go wherever the rule sends it: the rule's nodes must suit them too.
        var capable = verdict.Fits.Where(f => f.CanRun == true).Select(f => f.Node).ToList();
        var partnerSids = partners.Select(p => p.Sid).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var partner in report.Verdicts.Where(v => partnerSids.Contains(HaPlacement.SidOf(v.Guest)) && v.Fits.Count > 0))
        {
            capable.RemoveAll(n => partner.Fits.FirstOrDefault(f => f.Node == n)?.CanRun != true);
        }

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
        var also = partnerSids.Count == 0
            ? ""
            : $"; the HA manager keeps {string.Join(", ", partnerSids)} with it ({string.Join(", ", partners.Select(p => "positive " + p.Rule.Label).Distinct(StringComparer.Ordinal))}), so the rule places {(partnerSids.Count == 1 ? "it" : "them")} too";
        return entry with
        {
            Action = usesRules ? PlacementAction.CreateRule : PlacementAction.CreateGroup,
            RuleId = ruleId,
            KeepsNodes = capable,
            LosesNodes = loses,
            Reason = usesRules
                ? $"strict node-affinity rule '{ruleId}' on {string.Join(", ", capable)}; keeps cpu {verdict.Cpu}, may no longer use {string.Join(", ", loses)}{also}"
                : $"restricted HA group '{ruleId}' on {string.Join(", ", capable)}; keeps cpu {verdict.Cpu}, may no longer use {string.Join(", ", loses)}{also}",
        };
    }
}
