using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Ha;

public sealed class HaConfigParserTests
{
    private static string Fixture(string name) => RepoPaths.Combine("tests", "ProxClmc.Guard.Core.Tests", "Ha", "Fixtures", name);

    private static string HaLabFile(string name) => Path.Combine(RepoPaths.HaLab, "ha", name);

    [Fact]
    public void The_ha_lab_resources_give_state_group_and_failback()
    {
        var config = HaConfigParser.ParseResources(File.ReadAllText(HaLabFile("resources.cfg"))).GetValueOrThrow();

        Assert.Equal(10, config.Resources.Count);
        Assert.All(config.Resources, r => Assert.Equal("vm", r.Type));
        Assert.Equal(["vm:203", "vm:204"], config.Resources.Where(r => r.Group == "v3-nodes").Select(r => r.Sid));
        Assert.Equal(HaResourceState.Ignored, config.Resources.Single(r => r.VmId == 210).State);
        Assert.False(config.Resources.Single(r => r.VmId == 211).Failback);
        Assert.True(config.Resources.Single(r => r.VmId == 201).Failback);
    }

    [Fact]
    public void The_ha_lab_groups_give_nodes_and_restricted()
    {
        var group = Assert.Single(HaConfigParser.ParseGroups(File.ReadAllText(HaLabFile("groups.cfg"))).GetValueOrThrow().Groups);

        Assert.Equal("v3-nodes", group.Name);
        Assert.True(group.Restricted);
        Assert.False(group.NoFailback);
        Assert.Equal(["pve2", "pve3"], group.Nodes.Select(n => n.Node));
    }

    [Fact]
    public void The_ha_lab_rules_give_strictness_priorities_and_affinity()
    {
        var rules = HaConfigParser.ParseRules(File.ReadAllText(HaLabFile("rules.cfg")), "/etc/pve/ha/rules.cfg").GetValueOrThrow().Rules;

        Assert.Equal(["skx-only", "prefer-skx", "prefer-v3", "web-apart", "cache-together"], rules.Select(r => r.Id));
        var strict = rules[0];
        Assert.True(strict.Strict);
        Assert.Equal(["vm:201", "vm:209"], strict.Resources);
        Assert.Equal("/etc/pve/ha/rules.cfg:1", strict.Origin);
        Assert.Equal([new HaNodePriority("pve4", 2), new HaNodePriority("pve5", 1)], rules[1].Nodes);
        Assert.False(rules[1].Strict);
        Assert.False(rules[2].Strict); // strict defaults to 0 (Rules/NodeAffinity.pm)
        Assert.Equal(HaRuleType.ResourceAffinity, rules[3].Type);
        Assert.False(rules[3].Positive);
        Assert.True(rules[4].Positive);
    }

    [Fact]
    public void Spaces_list_separators_and_a_bare_boolean_key_read_like_SectionConfig()
    {
        var rules = HaConfigParser.ParseRules(File.ReadAllText(Fixture("spaced.cfg"))).GetValueOrThrow().Rules;

        Assert.Equal(2, rules.Count);
        Assert.True(rules[0].Disabled);
        Assert.Equal(["pve1:1", "pve2:2", "pve3"], rules[0].Nodes.Select(n => n.ToString()));
        Assert.Equal(["vm:100", "vm:101"], rules[0].Resources);
        Assert.True(rules[1].Positive);
    }

    [Theory]
    [InlineData("bad-state.cfg", "resources", 2, 8, "state: 'running' is not one of")]
    [InlineData("bad-priority.cfg", "groups", 2, 8, "nodes: 'pve4:high' is not 'node' or 'node:priority'")]
    [InlineData("bad-type.cfg", "rules", 6, 1, "unknown rule type 'location'")]
    [InlineData("duplicate-rule.cfg", "rules", 5, 16, "'node-affinity: keep' is defined twice (first at line 1)")]
    [InlineData("missing-nodes.cfg", "rules", 1, 1, "node-affinity rule 'keep' has no 'nodes'")]
    [InlineData("no-blank-line.cfg", "rules", 4, 1, "separated from the previous one by an empty line")]
    [InlineData("bad-resource.cfg", "rules", 2, 12, "resources: '101' is not a resource id")]
    [InlineData("bad-boolean.cfg", "rules", 4, 12, "strict: 'maybe' is not a boolean")]
    public void Bad_files_name_file_line_and_column(string file, string kind, int line, int column, string message)
    {
        var path = Fixture(file);
        var text = File.ReadAllText(path);
        var result = kind switch
        {
            "resources" => HaConfigParser.ParseResources(text, path),
            "groups" => HaConfigParser.ParseGroups(text, path),
            _ => HaConfigParser.ParseRules(text, path),
        };

        Assert.False(result.IsSuccess);
        Assert.Contains(message, result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal($"{path}:{line}:{column}", $"{result.Error.Source}:{result.Error.Line}:{result.Error.Column}");
    }

    [Fact]
    public void A_vmid_below_100_is_refused_like_Proxmox_does()
    {
        var result = HaConfigParser.ParseResources("vm: 99\n", "resources.cfg");

        Assert.Equal("resources.cfg:1:5: '99' is not a valid VMID (100 to 999999999)", result.Error!.ToString());
    }

    [Fact]
    public void Fuzzed_input_gives_a_value_or_a_typed_error()
    {
        var seeds = new[] { "resources.cfg", "groups.cfg", "rules.cfg" }.Select(f => File.ReadAllText(HaLabFile(f)))
            .Concat(Directory.GetFiles(Fixture("")).Order(StringComparer.Ordinal).Select(File.ReadAllText))
            .ToList();
        foreach (var input in Fuzz.Inputs(seeds, Fuzz.Cases()))
        {
            foreach (var result in new[] { HaConfigParser.ParseResources(input, "fuzz"), HaConfigParser.ParseGroups(input, "fuzz"), HaConfigParser.ParseRules(input, "fuzz") })
            {
                if (result.IsSuccess)
                {
                    Assert.All(result.Value!.Rules, r => Assert.NotEmpty(r.Resources));
                    Assert.All(result.Value.Groups, g => Assert.NotEmpty(g.Nodes));
                    var placement = HaPlacement.Compute(result.Value, ["pve1", "pve2"]);
                    Assert.NotNull(placement);
                }
                else
                {
                    Assert.Equal("fuzz", result.Error!.Source);
                    Assert.True(result.Error.Line >= 0);
                }
            }
        }
    }
}
