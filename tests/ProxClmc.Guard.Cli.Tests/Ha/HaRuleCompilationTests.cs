using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Ha;

/// <summary>
/// Given the ha-lab's nodes and guests (pve1 Sandy Bridge, pve2 Haswell, pve3 Broadwell, pve4 and pve5 Skylake) with
/// the HA groups migrated and one of the rule files in Fixtures/ha-rules, the guard compiles the rules as
/// pve-ha-manager b71218f does (Rules.pm transform): each feasibility check drops the rules it blames, with the
/// warning note <c>ha-rule-ignored</c> and Proxmox's reason, and the guest is judged as if they were not there; each
/// inference changes where the guest may run. Every test says what <c>scan</c> (allowedNodes, notes),
/// <c>check --evacuate pve4</c> and <c>fix --strategy placement</c> then say.
/// </summary>
public sealed class HaRuleCompilationTests : IDisposable
{
    private readonly List<TempTree> _trees = [];

    public void Dispose()
    {
        foreach (var tree in _trees)
        {
            tree.Dispose();
        }
    }

    /// <summary>What the three verbs say about one cluster.</summary>
    private sealed record Outcome(
        CliResult Scan,
        IReadOnlyDictionary<int, string> Guests,
        IReadOnlyDictionary<int, IReadOnlyList<string>> HaNotes,
        CliResult Evacuate,
        IReadOnlyDictionary<int, string> Plan)
    {
        public IReadOnlyList<string> Ignored(int vmid) =>
            HaNotes[vmid].Where(n => n.StartsWith("ha-rule-ignored: ", StringComparison.Ordinal)).Select(n => n["ha-rule-ignored: ".Length..]).ToList();
    }

    /// <summary>The ha-lab with ha/ replaced: the shared resources.cfg (no groups), then the case's own files.</summary>
    private string Cluster(string @case)
    {
        var tree = new TempTree().CopyFrom(RepoPaths.HaLab);
        _trees.Add(tree);
        File.Delete(tree.PathOf("ha", "groups.cfg"));
        tree.CopyFile(GuardRun.Fixture("ha-rules", "resources.cfg"), "ha", "resources.cfg");
        foreach (var file in Directory.GetFiles(GuardRun.Fixture("ha-rules", @case)))
        {
            tree.CopyFile(file, "ha", Path.GetFileName(file));
        }

        return tree.Root;
    }

    private static Outcome Run(string root)
    {
        var scan = GuardRun.Run("scan", "--from", root, "--format", "json");
        var guests = new SortedDictionary<int, string>();
        var notes = new SortedDictionary<int, IReadOnlyList<string>>();
        using (var json = JsonDocument.Parse(scan.Out))
        {
            foreach (var g in json.RootElement.GetProperty("guests").EnumerateArray())
            {
                var vmid = g.GetProperty("vmid").GetInt32();
                var codes = string.Join(",", g.GetProperty("notes").EnumerateArray().Select(n => n.GetProperty("code").GetString()));
                var allowed = string.Join(",", g.GetProperty("allowedNodes").EnumerateArray().Select(n => n.GetString()));
                guests[vmid] = $"{g.GetProperty("verdict").GetString()} [{codes}] {allowed}";
                notes[vmid] = g.GetProperty("notes").EnumerateArray()
                    .Where(n => n.GetProperty("code").GetString()!.StartsWith("ha-", StringComparison.Ordinal))
                    .Select(n => $"{n.GetProperty("code").GetString()}: {n.GetProperty("text").GetString()}")
                    .ToList();
            }
        }

        var evacuate = GuardRun.Run("check", "--evacuate", "pve4", "--from", root);
        var fix = GuardRun.Run("fix", "--strategy", "placement", "--from", root, "--format", "json");
        var plan = new SortedDictionary<int, string>();
        using (var json = JsonDocument.Parse(fix.Out))
        {
            foreach (var e in json.RootElement.GetProperty("entries").EnumerateArray())
            {
                var id = e.TryGetProperty("id", out var i) ? " " + i.GetString() : "";
                plan[e.GetProperty("vmid").GetInt32()] = $"{e.GetProperty("action").GetString()}{id}: {e.GetProperty("reason").GetString()}";
            }
        }

        return new Outcome(scan, guests, notes, evacuate, plan);
    }

    private const string Judged = "; judged as if it were not there";

    [Fact]
    public void Two_node_affinity_rules_naming_one_resource_are_both_ignored()
    {
        var run = Run(Cluster("single-resource-reference"));

        Assert.Equal("exceeds-baseline [ha-rule-ignored,ha-rule-ignored,ha-recovery] pve1,pve2,pve3,pve4,pve5", run.Guests[201]);
        Assert.Equal(
            [
                "HA rule 'skx-only' is ignored (conflicts): resource 'vm:201' is already used in another node affinity rule" + Judged,
                "HA rule 'skx-too' is ignored (conflicts): resource 'vm:201' is already used in another node affinity rule" + Judged,
            ],
            run.Ignored(201));
        Assert.Equal("exceeds-baseline [ha-rule-ignored,ha-recovery] pve1,pve2,pve3,pve4,pve5", run.Guests[202]);
        Assert.Contains("proxclmc-guard: warning: HA rule 'skx-too' is ignored by the HA manager: resource 'vm:201' is already used in another node affinity rule", run.Scan.ErrorLines);
        Assert.Contains("  vm:201  AT RISK  HA picks the least loaded of pve1, pve2, pve3, pve5; allowed nodes that can run it: pve5 (no HA rule)", run.Evacuate.OutLines);
        Assert.Equal(
            "skip: named by HA rule 'skx-only', which the HA manager ignores (resource 'vm:201' is already used in another node affinity rule): a new rule would be dropped too; fix HA rule 'skx-only' by hand",
            run.Plan[201]);
        Assert.StartsWith("skip: named by HA rule 'skx-too'", run.Plan[202], StringComparison.Ordinal);
    }

    [Fact]
    public void A_resource_affinity_rule_of_one_resource_is_ignored()
    {
        var run = Run(Cluster("resources-count"));

        Assert.Equal("exceeds-baseline [ha-rule-ignored,ha-recovery] pve1,pve2,pve3,pve4,pve5", run.Guests[205]);
        Assert.Equal(["HA rule 'runner-alone' is ignored (conflicts): rule is ineffective as there are less than two resources" + Judged], run.Ignored(205));
        Assert.Equal("ok [ha-rule] pve4,pve5", run.Guests[201]); // the other rule stays
        Assert.Contains("  vm:201  ok       HA picks pve5; allowed nodes that can run it: pve5 (strict HA rule 'skx-only' (pve4, pve5))", run.Evacuate.OutLines);
        Assert.Contains("  vm:205  AT RISK  HA picks the least loaded of pve1, pve2, pve3, pve5; allowed nodes that can run it: pve2, pve3, pve5 (no HA rule)", run.Evacuate.OutLines);
        // A node-affinity rule for vm:205 does not meet the dropped rule's checks: it is planned.
        Assert.Equal("create-rule proxclmc-vm205: strict node-affinity rule 'proxclmc-vm205' on pve2, pve3, pve4, pve5; keeps cpu x86-64-v3, may no longer use pve1", run.Plan[205]);
    }

    [Fact]
    public void A_negative_rule_with_more_resources_than_nodes_is_ignored()
    {
        var run = Run(Cluster("negative-resources-count"));

        foreach (var vmid in new[] { 201, 202, 205, 206, 207, 211 })
        {
            Assert.Equal(["HA rule 'spread-all' is ignored (conflicts): rule defines more resources than available nodes" + Judged], run.Ignored(vmid));
        }

        Assert.Equal("ok [ha-rule-ignored] pve1,pve2,pve3,pve4,pve5", run.Guests[206]);
        // Nothing keeps vm:205 off the nodes of the other five.
        Assert.DoesNotContain(run.Evacuate.OutLines, l => l.Contains("keeps them apart", StringComparison.Ordinal));
        Assert.Contains("  vm:205  AT RISK  HA picks the least loaded of pve1, pve2, pve3, pve5; allowed nodes that can run it: pve2, pve3, pve5 (no HA rule)", run.Evacuate.OutLines);
        Assert.Equal("create-rule proxclmc-vm205: strict node-affinity rule 'proxclmc-vm205' on pve2, pve3, pve4, pve5; keeps cpu x86-64-v3, may no longer use pve1", run.Plan[205]);
    }

    [Fact]
    public void Resources_kept_together_and_apart_lose_both_rules()
    {
        var run = Run(Cluster("inter-affinity-consistency"));

        Assert.Equal("ok [ha-rule-ignored,ha-rule-ignored] pve1,pve2,pve3,pve4,pve5", run.Guests[206]);
        Assert.Equal(
            [
                "HA rule 'cache-apart' is ignored (conflicts): rule shares two or more resources with a positive resource affinity rule" + Judged,
                "HA rule 'cache-together' is ignored (conflicts): rule shares two or more resources with a negative resource affinity rule" + Judged,
            ],
            run.Ignored(207));
        // Neither rule narrows the HA scheduler's choice.
        Assert.Contains("  vm:206  ok       HA picks the least loaded of pve1, pve2, pve3, pve5; allowed nodes that can run it: pve1, pve2, pve3, pve5 (no HA rule)", run.Evacuate.OutLines);
        Assert.DoesNotContain(run.Evacuate.OutLines, l => l.Contains("keep", StringComparison.Ordinal) && l.Contains("them", StringComparison.Ordinal));
        Assert.False(run.Plan.ContainsKey(206)); // safe: nothing to plan
    }

    [Fact]
    public void A_node_affinity_rule_with_two_priorities_meeting_a_resource_affinity_rule_is_ignored_with_it()
    {
        var run = Run(Cluster("single-priority"));

        Assert.Equal("exceeds-baseline [ha-rule-ignored,ha-rule-ignored,ha-recovery] pve1,pve2,pve3,pve4,pve5", run.Guests[202]);
        Assert.Equal(
            [
                "HA rule 'app-apart' is ignored (conflicts): resources are in node affinity rules with multiple priorities" + Judged,
                "HA rule 'skx-first' is ignored (conflicts): resources are in a resource affinity rule and cannot be in a node affinity rule with multiple priorities" + Judged,
            ],
            run.Ignored(202));
        Assert.Contains("ha-recovery: if pve5 fails, the HA manager may restart VM 202 on pve1, pve2, pve3, which cannot start it", run.HaNotes[202]);
        Assert.Equal(["HA rule 'app-apart' is ignored (conflicts): resources are in node affinity rules with multiple priorities" + Judged], run.Ignored(211));
        Assert.DoesNotContain(run.Evacuate.OutLines, l => l.Contains("keeps them apart", StringComparison.Ordinal));
        Assert.Contains("  vm:211  AT RISK  HA picks the least loaded of pve1, pve2, pve3, pve5; allowed nodes that can run it: pve5 (no HA rule)", run.Evacuate.OutLines);
        Assert.StartsWith("skip: named by HA rule 'skx-first', which the HA manager ignores", run.Plan[202], StringComparison.Ordinal);
        // A rule for vm:211 would meet app-apart, which meets skx-first's two priorities: the HA manager would drop it.
        Assert.Equal(
            "skip: the HA manager would drop rule 'proxclmc-vm211': resources are in a resource affinity rule and cannot be in a node affinity rule with multiple priorities; not planned",
            run.Plan[211]);
        Assert.StartsWith("create-rule proxclmc-vm201: ", run.Plan[201], StringComparison.Ordinal);
    }

    [Fact]
    public void Resources_kept_together_but_pinned_to_different_nodes_lose_all_three_rules()
    {
        var run = Run(Cluster("positive-two-node-affinity"));

        Assert.Equal("exceeds-baseline [ha-rule-ignored,ha-rule-ignored,ha-recovery] pve1,pve2,pve3,pve4,pve5", run.Guests[201]);
        Assert.Equal(
            [
                "HA rule 'db-on-pve4' is ignored (conflicts): at least one resource is in a positive resource affinity rule and there are other resources in at least one other node affinity rule already" + Judged,
                "HA rule 'db-with-app' is ignored (conflicts): resources are in multiple node affinity rules" + Judged,
            ],
            run.Ignored(201));
        Assert.Equal("exceeds-baseline [ha-rule-ignored,ha-rule-ignored,ha-recovery] pve1,pve2,pve3,pve4,pve5", run.Guests[211]);
        Assert.Contains("ha-recovery: if pve4 fails, the HA manager may restart VM 211 on pve1, pve2, pve3, which cannot start it", run.HaNotes[211]);
        Assert.Contains("  vm:201  AT RISK  HA picks the least loaded of pve1, pve2, pve3, pve5; allowed nodes that can run it: pve5 (no HA rule)", run.Evacuate.OutLines);
        Assert.Contains("  vm:211  AT RISK  HA picks the least loaded of pve1, pve2, pve3, pve5; allowed nodes that can run it: pve5 (no HA rule)", run.Evacuate.OutLines);
        Assert.StartsWith("skip: named by HA rule 'db-on-pve4', which the HA manager ignores", run.Plan[201], StringComparison.Ordinal);
        Assert.StartsWith("skip: named by HA rule 'app-on-pve5', which the HA manager ignores", run.Plan[211], StringComparison.Ordinal);
    }

    [Fact]
    public void Resources_kept_apart_but_pinned_to_one_node_lose_both_rules()
    {
        var run = Run(Cluster("negative-node-affinity-consistency"));

        Assert.Equal(
            [
                "HA rule 'all-on-pve4' is ignored (conflicts): at least one resource is in a negative resource affinity rule and this rule would restrict these to less nodes than available to the resources" + Judged,
                "HA rule 'db-apart' is ignored (conflicts): two or more resources are restricted to less nodes than available to the resources" + Judged,
            ],
            run.Ignored(211));
        Assert.Equal("exceeds-baseline [ha-rule-ignored,ha-rule-ignored,ha-recovery] pve1,pve2,pve3,pve4,pve5", run.Guests[201]);
        Assert.DoesNotContain(run.Evacuate.OutLines, l => l.Contains("keeps them apart", StringComparison.Ordinal));
        Assert.Contains("  vm:201  AT RISK  HA picks the least loaded of pve1, pve2, pve3, pve5; allowed nodes that can run it: pve5 (no HA rule)", run.Evacuate.OutLines);
        Assert.StartsWith("skip: named by HA rule 'all-on-pve4', which the HA manager ignores", run.Plan[201], StringComparison.Ordinal);
    }

    [Fact]
    public void A_chain_of_positive_rules_meeting_two_node_affinity_rules_loses_all_four()
    {
        var run = Run(Cluster("merged-chain-two-node-affinity"));

        Assert.Equal(
            [
                "HA rule 'chain-a' is ignored (conflicts): resources are in multiple node affinity rules" + Judged,
                "HA rule 'chain-b' is ignored (conflicts): resources are in multiple node affinity rules" + Judged,
            ],
            run.Ignored(206));
        Assert.Equal("exceeds-baseline [ha-rule-ignored,ha-rule-ignored,ha-recovery] pve1,pve2,pve3,pve4,pve5", run.Guests[211]);
        Assert.Contains("HA rule 'app-skx' is ignored (conflicts): at least one resource is in a positive resource affinity rule and there are other resources in at least one other node affinity rule already" + Judged, run.Ignored(211));
        Assert.DoesNotContain(run.Evacuate.OutLines, l => l.Contains("keep them together", StringComparison.Ordinal) || l.Contains("keeps them together", StringComparison.Ordinal));
        Assert.Contains("  vm:211  AT RISK  HA picks the least loaded of pve1, pve2, pve3, pve5; allowed nodes that can run it: pve5 (no HA rule)", run.Evacuate.OutLines);
        Assert.StartsWith("skip: named by HA rule 'db-skx', which the HA manager ignores", run.Plan[201], StringComparison.Ordinal);
    }

    [Fact]
    public void A_partner_in_a_positive_rule_follows_the_strict_rule_of_its_partner()
    {
        var run = Run(Cluster("implicit-node-affinity"));

        Assert.Equal("ok [ha-rule] pve4,pve5", run.Guests[211]); // HA confines it to pve4 and pve5, which can run it
        Assert.Equal(["ha-rule: strict HA rule 'skx-only' (pve4, pve5) via positive rule 'db-with-app' keeps it on pve4, pve5: judged against those nodes"], run.HaNotes[211]);
        Assert.Equal("ok [ha-rule] pve4,pve5", run.Guests[201]);
        Assert.Empty(run.Ignored(201));
        Assert.DoesNotContain(run.Scan.ErrorLines, l => l.Contains("ignored by the HA manager", StringComparison.Ordinal));
        Assert.Contains("  vm:211  ok       HA picks pve5; allowed nodes that can run it: pve5 (strict HA rule 'skx-only' (pve4, pve5) via positive rule 'db-with-app')", run.Evacuate.OutLines);
        Assert.False(run.Plan.ContainsKey(211)); // safe now: nothing to plan
        // vm:205 has no rule, but vm:206 is kept with it: the rule planned for it places vm:206 too.
        Assert.Equal(
            "create-rule proxclmc-vm205: strict node-affinity rule 'proxclmc-vm205' on pve2, pve3, pve4, pve5; keeps cpu x86-64-v3, may no longer use pve1; the HA manager keeps vm:206 with it (positive rule 'runner-with-cache'), so the rule places it too",
            run.Plan[205]);
    }

    [Fact]
    public void Positive_rules_sharing_a_resource_are_merged_and_all_follow_one_strict_rule()
    {
        var run = Run(Cluster("merged-node-affinity"));

        Assert.Equal("ok [ha-rule] pve4,pve5", run.Guests[206]);
        Assert.Equal("ok [ha-rule] pve4,pve5", run.Guests[207]);
        Assert.Equal(["ha-rule: strict HA rule 'skx-only' (pve4, pve5) via positive rules 'chain-a' and 'chain-b' keeps it on pve4, pve5: judged against those nodes"], run.HaNotes[207]);
        // vm:201 and vm:206 leave pve4 for vm:207's node, as the merged rule keeps all three together.
        Assert.Contains("  vm:201  ok       HA picks pve5; allowed nodes that can run it: pve5 (strict HA rule 'skx-only' (pve4, pve5))", run.Evacuate.OutLines);
        Assert.Contains("          only pve5: vm:207 runs there, and rules 'chain-a' and 'chain-b' keep them together", run.Evacuate.OutLines);
        Assert.False(run.Plan.ContainsKey(206));
    }

    [Fact]
    public void A_partner_in_a_positive_rule_is_kept_apart_from_what_its_partner_is_kept_apart_from()
    {
        var run = Run(Cluster("implicit-negative"));

        Assert.Equal("exceeds-baseline [ha-recovery] pve1,pve2,pve3,pve4,pve5", run.Guests[205]);
        Assert.Contains("  vm:205  AT RISK  HA picks the least loaded of pve1, pve2, pve3; allowed nodes that can run it: pve2, pve3, pve5 (no HA rule)", run.Evacuate.OutLines);
        Assert.Contains("          not pve5: vm:207 runs there, and rules 'runner-with-cache' and 'cache-apart' keep them apart", run.Evacuate.OutLines);
        Assert.Contains("          not pve5: vm:207 runs there, and rule 'cache-apart' keeps them apart", run.Evacuate.OutLines);
        Assert.StartsWith("create-rule proxclmc-vm205: ", run.Plan[205], StringComparison.Ordinal);
    }

    [Fact]
    public void A_restricted_group_is_checked_as_the_strict_rule_the_HA_manager_migrates_it_to()
    {
        var run = Run(Cluster("group-migration"));

        Assert.Equal(
            [
                "HA rule 'ha-group-v3-nodes' is ignored (conflicts): at least one resource is in a negative resource affinity rule and this rule would restrict these to less nodes than available to the resources" + Judged,
                "HA rule 'web-apart' is ignored (conflicts): two or more resources are restricted to less nodes than available to the resources" + Judged,
            ],
            run.Ignored(203));
        Assert.Equal("exceeds-baseline [ha-rule-ignored,ha-rule-ignored,ha-recovery] pve1,pve2,pve3,pve4,pve5", run.Guests[204]);
        Assert.Contains("  vm:205  AT RISK  HA picks the least loaded of pve1, pve2, pve3, pve5; allowed nodes that can run it: pve2, pve3, pve5 (no HA rule)", run.Evacuate.OutLines);
        // groups.cfg still has groups: the plan makes groups, and leaves the guests of the ignored group to be fixed by hand.
        Assert.StartsWith("skip: named by HA group 'v3-nodes', which the HA manager ignores", run.Plan[203], StringComparison.Ordinal);
        Assert.StartsWith("create-group proxclmc-vm201: restricted HA group 'proxclmc-vm201' on pve4, pve5", run.Plan[201], StringComparison.Ordinal);
    }
}
