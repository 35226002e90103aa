using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Core.Placement;

namespace ProxClmc.Guard.Core.Tests.Ha;

public sealed class PlacementPlannerTests
{
    private static PlacementPlan Plan(HaLab lab, bool usesRules = true, bool allowSingleNode = false, params int[] vmIds) =>
        PlacementPlanner.Plan(lab.Evaluator.EvaluateAll(lab.Guests, DateTimeOffset.UnixEpoch), lab.Placement, usesRules, allowSingleNode, vmIds, "20261123-120000-ab12", DateTimeOffset.UnixEpoch);

    [Fact]
    public void An_unsafe_HA_guest_without_a_rule_gets_a_strict_rule_on_the_nodes_that_can_run_it()
    {
        var entry = Plan(HaLab.Load()).Entries.Single(e => e.VmId == 205);

        Assert.Equal(PlacementAction.CreateRule, entry.Action);
        Assert.Equal("proxclmc-vm205", entry.RuleId);
        Assert.Equal("vm:205", entry.Sid);
        Assert.Equal(["pve2", "pve3", "pve4", "pve5"], entry.KeepsNodes);
        Assert.Equal(["pve1"], entry.LosesNodes);
        Assert.Equal("x86-64-v3", entry.Cpu);
    }

    [Fact]
    public void On_Proxmox_VE_8_the_plan_makes_a_restricted_group()
    {
        var entry = Plan(HaLab.Load(), usesRules: false).Entries.Single(e => e.VmId == 205);

        Assert.Equal(PlacementAction.CreateGroup, entry.Action);
        Assert.StartsWith("restricted HA group 'proxclmc-vm205' on pve2, pve3, pve4, pve5", entry.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Guests_that_already_have_a_rule_and_guests_without_HA_are_not_pinned()
    {
        var plan = Plan(HaLab.Load()).Entries.ToDictionary(e => e.VmId);

        Assert.Equal([202, 205, 210, 211], plan.Keys.Order());
        Assert.Equal(PlacementAction.Skip, plan[202].Action);
        Assert.Contains("already placed by HA rule 'prefer-skx'", plan[202].Reason, StringComparison.Ordinal);
        Assert.Equal(PlacementAction.Hookscript, plan[210].Action);
        Assert.Contains("hook attach --vmid 210", plan[210].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_of_a_single_node_needs_allow_single_node()
    {
        // Without pve5 only pve4 can run the x86-64-v4 guests; vm:201 then loses its strict rule's second node.
        var lab = HaLab.Load(rules => rules.Replace("resources vm:201,vm:209\n", "resources vm:209\n", StringComparison.Ordinal), "pve5");

        var refused = Plan(lab, vmIds: 201).Entries.Single();
        var allowed = Plan(lab, allowSingleNode: true, vmIds: 201).Entries.Single();

        Assert.Equal(PlacementAction.Skip, refused.Action);
        Assert.Equal("only pve4 can run it: a rule of one node leaves the HA manager nowhere to recover it (--allow-single-node pins it anyway)", refused.Reason);
        Assert.Equal(PlacementAction.CreateRule, allowed.Action);
        Assert.Equal(["pve4"], allowed.KeepsNodes);
        Assert.Equal(["pve1", "pve2", "pve3"], allowed.LosesNodes);
    }
}
