using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;

namespace ProxClmc.Guard.Core.Tests.Ha;

public sealed class HaPlacementTests
{
    private static readonly string[] Nodes = ["pve1", "pve2", "pve3", "pve4"];

    private static HaConfig Config(string resources, string rules = "", string groups = "") => new()
    {
        Resources = HaConfigParser.ParseResources(resources).GetValueOrThrow().Resources,
        Rules = HaConfigParser.ParseRules(rules).GetValueOrThrow().Rules,
        Groups = HaConfigParser.ParseGroups(groups).GetValueOrThrow().Groups,
    };

    private static GuestPlacement? For(HaPlacement placement, int vmId) =>
        placement.For(new GuestConfig { VmId = vmId, Node = "pve1" });

    [Fact]
    public void A_strict_rule_allows_only_its_nodes_highest_priority_first()
    {
        var placement = HaPlacement.Compute(Config("vm: 100\n", "node-affinity: pin\n\tnodes pve3:1,pve4:5\n\tresources vm:100\n\tstrict 1\n"), Nodes);

        var p = For(placement, 100)!;
        Assert.True(p.IsStrict);
        Assert.Equal(["pve4", "pve3"], p.NodeNames);
        Assert.Equal(["pve3", "pve4"], p.StrictNodes!.Order());
        Assert.Equal("strict HA rule 'pin' (pve4:5, pve3:1)", p.Describe());
    }

    [Fact]
    public void A_non_strict_rule_prefers_its_nodes_and_adds_the_others_at_priority_minus_one()
    {
        var placement = HaPlacement.Compute(Config("vm: 100\n", "node-affinity: prefer\n\tnodes pve3\n\tresources vm:100\n"), Nodes);

        var p = For(placement, 100)!;
        Assert.Null(p.StrictNodes);
        Assert.Equal(["pve3:0", "pve1:-1", "pve2:-1", "pve4:-1"], p.Nodes.Select(n => $"{n.Node}:{n.Priority}"));
        Assert.Equal(["pve3"], p.PreferredAmong(Nodes));
        Assert.Equal(["pve1", "pve2", "pve4"], p.PreferredAmong(["pve1", "pve2", "pve4"]));
    }

    [Fact]
    public void A_restricted_group_becomes_a_strict_rule_named_after_it()
    {
        var placement = HaPlacement.Compute(Config("vm: 100\n\tgroup old\n", groups: "group: old\n\tnodes pve1,pve2\n\trestricted 1\n"), Nodes);

        var p = For(placement, 100)!;
        Assert.Equal("ha-group-old", p.Rule!.Id);
        Assert.Equal("old", p.Group);
        Assert.Equal(["pve1", "pve2"], p.NodeNames);
        Assert.Equal("restricted HA group 'old' (pve1, pve2)", p.Describe());
    }

    [Fact]
    public void A_rule_the_api_lists_for_a_group_is_still_named_as_the_group()
    {
        // PVE 9's /cluster/ha/rules lists unmigrated groups as rules ha-group-<name>; resources keep their group.
        var placement = HaPlacement.Compute(Config("vm: 100\n\tgroup old\n", "node-affinity: ha-group-old\n\tnodes pve1,pve2\n\tresources vm:100\n\tstrict 1\n"), Nodes);

        Assert.Equal("restricted HA group 'old' (pve1, pve2)", For(placement, 100)!.Describe());
        Assert.Empty(placement.Warnings);
    }

    [Fact]
    public void A_group_that_exists_nowhere_is_warned_about_and_places_nothing()
    {
        var placement = HaPlacement.Compute(Config("vm: 100\n\tgroup gone\n"), Nodes);

        Assert.Null(For(placement, 100)!.Rule);
        Assert.Equal("HA resource vm:100 names group 'gone', which does not exist: it may run on any node", Assert.Single(placement.Warnings));
    }

    [Fact]
    public void Two_node_affinity_rules_for_one_resource_are_both_dropped_as_the_HA_manager_does()
    {
        var rules = "node-affinity: rule-a\n\tnodes pve1\n\tresources vm:100\n\tstrict 1\n\nnode-affinity: rule-b\n\tnodes pve2\n\tresources vm:100,vm:101\n\tstrict 1\n";
        var placement = HaPlacement.Compute(Config("vm: 100\n\nvm: 101\n", rules), Nodes);

        Assert.Null(For(placement, 100)!.Rule);
        Assert.Null(For(placement, 101)!.Rule);
        Assert.Equal(Nodes, For(placement, 100)!.NodeNames.Order());
        Assert.Equal(2, placement.Warnings.Count);
        Assert.Contains("HA rule 'rule-a' is ignored by the HA manager: resource 'vm:100' is already used in another node affinity rule", placement.Warnings);
    }

    [Fact]
    public void Disabled_rules_ignored_resources_and_guests_without_HA_place_nothing()
    {
        var placement = HaPlacement.Compute(
            Config("vm: 100\n\nvm: 101\n\tstate ignored\n", "node-affinity: off\n\tnodes pve1\n\tresources vm:100\n\tstrict 1\n\tdisable\n"),
            Nodes);

        Assert.Null(For(placement, 100)!.Rule);
        Assert.Null(For(placement, 101));
        Assert.Null(For(placement, 102));
    }

    [Fact]
    public void Rule_nodes_outside_the_cluster_are_never_allowed()
    {
        var placement = HaPlacement.Compute(Config("vm: 100\n", "node-affinity: pin\n\tnodes pve4,pve9\n\tresources vm:100\n\tstrict 1\n"), Nodes);

        Assert.Equal(["pve4"], For(placement, 100)!.NodeNames);
    }

    [Fact]
    public void Resource_affinity_partners_are_the_other_HA_resources_of_the_rule()
    {
        var rules = "resource-affinity: apart\n\tresources vm:100,vm:101,vm:999\n\taffinity negative\n\nresource-affinity: together\n\tresources vm:100,vm:102\n\taffinity positive\n";
        var placement = HaPlacement.Compute(Config("vm: 100\n\nvm: 101\n\nvm: 102\n", rules), Nodes);

        Assert.Equal(["vm:101"], placement.Apart("vm:100").Select(p => p.Sid));
        Assert.Equal(["vm:102"], placement.Together("vm:100").Select(p => p.Sid));
        Assert.Empty(placement.Together("vm:101"));
    }
}
