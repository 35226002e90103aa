using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;

namespace ProxClmc.Guard.Core.Tests.Ha;

/// <summary>
/// The details of pve-ha-manager's rule compilation (b71218f) that the CLI cases do not reach: which rules are
/// checked, how Helpers.pm groups positive rules, what the transforms name their rules, and the API's own errors.
/// </summary>
public sealed class HaRuleCompilerTests
{
    private static readonly string[] Nodes = ["pve1", "pve2", "pve3", "pve4"];

    private static IReadOnlyList<HaRule> Rules(string text) => HaConfigParser.ParseRules(text).GetValueOrThrow().Rules;

    private static HaConfig Config(string rules, int first = 101, int last = 106) => new()
    {
        Resources = HaConfigParser.ParseResources(string.Join("\n", Enumerable.Range(first, last - first + 1).Select(id => $"vm: {id}\n"))).GetValueOrThrow().Resources,
        Rules = Rules(rules),
    };

    [Fact]
    public void Disabled_rules_are_not_checked_and_do_not_make_others_infeasible()
    {
        var errors = HaRuleCompiler.CheckFeasibility(
            Rules("node-affinity: ra\n\tnodes pve1\n\tresources vm:101\n\nnode-affinity: rb\n\tnodes pve2\n\tresources vm:101\n\tdisable\n\n"
                  + "resource-affinity: rc\n\taffinity negative\n\tresources vm:101\n\tdisable\n"),
            Nodes);

        Assert.Empty(errors);
    }

    [Fact]
    public void Positive_rules_are_grouped_as_Helpers_pm_does_first_overlap_only()
    {
        // Ordered by lowest resource: ra (vm:101), rb (vm:102), rc (vm:103). rc joins ra's set through vm:105 and stays
        // apart from rb's set, though both hold vm:103: find_disjoint_rules_resource_sets joins the first overlap.
        var compiled = HaRuleCompiler.Compile(
            Rules("resource-affinity: ra\n\taffinity positive\n\tresources vm:101,vm:105\n\n"
                  + "resource-affinity: rb\n\taffinity positive\n\tresources vm:102,vm:103\n\n"
                  + "resource-affinity: rc\n\taffinity positive\n\tresources vm:103,vm:105\n"),
            Nodes);

        Assert.Equal(["_merged-ra-rc", "rb"], compiled.Rules.Select(r => r.Id));
        Assert.Equal(["vm:101", "vm:103", "vm:105"], compiled.Rules[0].Resources);
        Assert.Equal("rules 'ra' and 'rc'", compiled.Rules[0].Label);
        Assert.Empty(compiled.Dropped);
    }

    [Fact]
    public void Implicit_negative_rules_are_named_as_the_HA_manager_names_them()
    {
        var compiled = HaRuleCompiler.Compile(
            Rules("resource-affinity: together\n\taffinity positive\n\tresources vm:101,vm:102\n\n"
                  + "resource-affinity: apart\n\taffinity negative\n\tresources vm:102,vm:103\n"),
            Nodes);

        var implicitRule = Assert.Single(compiled.Rules, r => r.Id.StartsWith("_implicit", StringComparison.Ordinal));
        Assert.Equal("_implicit-negative-together-vm:101-vm:103", implicitRule.Id);
        Assert.False(implicitRule.Positive);
        Assert.Equal(["vm:101", "vm:103"], implicitRule.Resources);
        Assert.Equal("rules 'together' and 'apart'", implicitRule.Label);
    }

    [Fact]
    public void A_rule_the_API_answers_with_errors_is_dropped_with_the_APIs_words_even_when_the_checks_keep_it()
    {
        var config = Config("node-affinity: pin\n\tnodes pve1,pve2\n\tresources vm:101\n\tstrict 1\n") with
        {
            ReportedErrors = new Dictionary<string, string> { ["pin"] = "a reason a newer HA manager gives" },
        };

        var placement = HaPlacement.Compute(config, Nodes);

        var p = placement.For(new GuestConfig { VmId = 101, Node = "pve1" })!;
        Assert.Null(p.Rule);
        Assert.Equal(Nodes, p.NodeNames);
        Assert.Equal("HA rule 'pin' is ignored (conflicts): a reason a newer HA manager gives", Assert.Single(p.IgnoredRules).Describe());
        Assert.Equal(["HA rule 'pin' is ignored by the HA manager: a reason a newer HA manager gives"], placement.Warnings);
    }

    [Fact]
    public void A_planned_rule_that_would_make_the_HA_manager_drop_rules_already_there_is_named_with_them()
    {
        var placement = HaPlacement.Compute(
            Config("node-affinity: pin\n\tnodes pve1,pve2\n\tresources vm:101\n\tstrict 1\n\n"
                   + "resource-affinity: together\n\taffinity positive\n\tresources vm:101,vm:102\n"),
            Nodes);
        var planned = new HaRule { Id = "proxclmc-vm102", Type = HaRuleType.NodeAffinity, Resources = ["vm:102"], Nodes = [new("pve3", 0), new("pve4", 0)], Strict = true };
        var elsewhere = new HaRule { Id = "proxclmc-vm103", Type = HaRuleType.NodeAffinity, Resources = ["vm:103"], Nodes = [new("pve3", 0), new("pve4", 0)], Strict = true };

        Assert.Equal(
            [
                "the HA manager would drop rule 'proxclmc-vm102': at least one resource is in a positive resource affinity rule and there are other resources in at least one other node affinity rule already",
                "the HA manager would drop rule 'pin': at least one resource is in a positive resource affinity rule and there are other resources in at least one other node affinity rule already",
                "the HA manager would drop rule 'together': resources are in multiple node affinity rules",
            ],
            placement.WouldDrop([planned]));
        Assert.Empty(placement.WouldDrop([elsewhere]));
    }

    [Fact]
    public void A_group_is_migrated_to_a_rule_named_after_it_and_restricted_means_strict()
    {
        var config = new HaConfig
        {
            Resources = HaConfigParser.ParseResources("vm: 101\n\tgroup fast\n\nvm: 102\n\tgroup slow\n\nvm: 103\n\tgroup unused-by-none\n").GetValueOrThrow().Resources,
            Groups = HaConfigParser.ParseGroups("group: fast\n\tnodes pve3:2,pve4\n\trestricted 1\n\ngroup: slow\n\tnodes pve1\n\ngroup: empty\n\tnodes pve2\n").GetValueOrThrow().Groups,
        };

        var (rules, groupOf) = HaRuleCompiler.MigrateGroups(config);

        Assert.Equal(["ha-group-fast", "ha-group-slow"], rules.Select(r => r.Id));
        Assert.True(rules[0].Strict);
        Assert.False(rules[1].Strict);
        Assert.Equal(["pve3:2", "pve4"], rules[0].Nodes.Select(n => n.ToString()));
        Assert.Equal("fast", groupOf["ha-group-fast"]);
    }
}
