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

    private const string AllNodes = "pve1,pve2,pve3,pve4,pve5";

    private const string ToPve5Only = "HA picks the least loaded of pve1, pve2, pve3, pve5; allowed nodes that can run it: pve5 (no HA rule)";

    private const string Vm205Rule = "create-rule proxclmc-vm205: strict node-affinity rule 'proxclmc-vm205' on pve2, pve3, pve4, pve5; keeps cpu x86-64-v3, may no longer use pve1";

    /// <summary>What one rule case expects the three verbs to say. Every entry is one assertion; an empty list asserts nothing.</summary>
    private sealed record RuleCase
    {
        /// <summary>scan's verdict, note codes and allowed nodes of a guest, exactly.</summary>
        public (int Vmid, string Line)[] Guests { get; init; } = [];

        /// <summary>The ha-rule-ignored notes of a guest, exactly and in order (each ends with "judged as if it were not there").</summary>
        public (int Vmid, string[] Rules)[] Ignored { get; init; } = [];

        /// <summary>One of the ha-rule-ignored notes of a guest.</summary>
        public (int Vmid, string Rule)[] IgnoredIncludes { get; init; } = [];

        /// <summary>The ha-* notes of a guest, exactly.</summary>
        public (int Vmid, string[] Notes)[] HaNotes { get; init; } = [];

        /// <summary>One of the ha-* notes of a guest.</summary>
        public (int Vmid, string Note)[] HaNotesInclude { get; init; } = [];

        /// <summary>Lines scan prints on stderr.</summary>
        public string[] ScanWarnings { get; init; } = [];

        /// <summary>Text no stderr line of scan contains.</summary>
        public string[] ScanNever { get; init; } = [];

        /// <summary>Lines check --evacuate pve4 prints.</summary>
        public string[] Evacuate { get; init; } = [];

        /// <summary>No line of check --evacuate pve4 contains all the texts of one entry.</summary>
        public string[][] EvacuateNever { get; init; } = [];

        /// <summary>fix --strategy placement's entry for a guest, exactly.</summary>
        public (int Vmid, string Entry)[] Plan { get; init; } = [];

        /// <summary>How fix --strategy placement's entry for a guest starts.</summary>
        public (int Vmid, string Start)[] PlanStarts { get; init; } = [];

        /// <summary>Guests fix --strategy placement has no entry for.</summary>
        public int[] NotPlanned { get; init; } = [];
    }

    /// <summary>The rule cases, each named after its folder in Fixtures/ha-rules.</summary>
    private static readonly Dictionary<string, RuleCase> Cases = new Dictionary<string, RuleCase>(StringComparer.Ordinal)
    {
        // Two node-affinity rules naming one resource are both ignored.
        ["single-resource-reference"] = new()
        {
            Guests = [(201, $"exceeds-baseline [ha-rule-ignored,ha-rule-ignored,ha-recovery] {AllNodes}"), (202, $"exceeds-baseline [ha-rule-ignored,ha-recovery] {AllNodes}")],
            Ignored =
            [
                (201,
                [
                    "HA rule 'skx-only' is ignored (conflicts): resource 'vm:201' is already used in another node affinity rule",
                    "HA rule 'skx-too' is ignored (conflicts): resource 'vm:201' is already used in another node affinity rule",
                ]),
            ],
            ScanWarnings = ["proxclmc-guard: warning: HA rule 'skx-too' is ignored by the HA manager: resource 'vm:201' is already used in another node affinity rule"],
            Evacuate = ["  vm:201  AT RISK  " + ToPve5Only],
            Plan = [(201, "skip: named by HA rule 'skx-only', which the HA manager ignores (resource 'vm:201' is already used in another node affinity rule): a new rule would be dropped too; fix HA rule 'skx-only' by hand")],
            PlanStarts = [(202, "skip: named by HA rule 'skx-too'")],
        },

        // A resource-affinity rule of one resource is ignored; the other rule stays.
        ["resources-count"] = new()
        {
            Guests = [(205, $"exceeds-baseline [ha-rule-ignored,ha-recovery] {AllNodes}"), (201, "ok [ha-rule] pve4,pve5")],
            Ignored = [(205, ["HA rule 'runner-alone' is ignored (conflicts): rule is ineffective as there are less than two resources"])],
            Evacuate =
            [
                "  vm:201  ok       HA picks pve5; allowed nodes that can run it: pve5 (strict HA rule 'skx-only' (pve4, pve5))",
                "  vm:205  AT RISK  HA picks the least loaded of pve1, pve2, pve3, pve5; allowed nodes that can run it: pve2, pve3, pve5 (no HA rule)",
            ],
            // A node-affinity rule for vm:205 does not meet the dropped rule's checks: it is planned.
            Plan = [(205, Vm205Rule)],
        },

        // A negative rule with more resources than nodes is ignored: nothing keeps vm:205 off the nodes of the other five.
        ["negative-resources-count"] = new()
        {
            Ignored = [.. new[] { 201, 202, 205, 206, 207, 211 }.Select(vmid => (vmid, new[] { "HA rule 'spread-all' is ignored (conflicts): rule defines more resources than available nodes" }))],
            Guests = [(206, $"ok [ha-rule-ignored] {AllNodes}")],
            EvacuateNever = [["keeps them apart"]],
            Evacuate = ["  vm:205  AT RISK  HA picks the least loaded of pve1, pve2, pve3, pve5; allowed nodes that can run it: pve2, pve3, pve5 (no HA rule)"],
            Plan = [(205, Vm205Rule)],
        },

        // Resources kept together and apart lose both rules: neither narrows the HA scheduler's choice.
        ["inter-affinity-consistency"] = new()
        {
            Guests = [(206, $"ok [ha-rule-ignored,ha-rule-ignored] {AllNodes}")],
            Ignored =
            [
                (207,
                [
                    "HA rule 'cache-apart' is ignored (conflicts): rule shares two or more resources with a positive resource affinity rule",
                    "HA rule 'cache-together' is ignored (conflicts): rule shares two or more resources with a negative resource affinity rule",
                ]),
            ],
            Evacuate = ["  vm:206  ok       HA picks the least loaded of pve1, pve2, pve3, pve5; allowed nodes that can run it: pve1, pve2, pve3, pve5 (no HA rule)"],
            EvacuateNever = [["keep", "them"]],
            NotPlanned = [206], // safe: nothing to plan
        },

        // A node-affinity rule with two priorities meeting a resource-affinity rule is ignored with it.
        ["single-priority"] = new()
        {
            Guests = [(202, $"exceeds-baseline [ha-rule-ignored,ha-rule-ignored,ha-recovery] {AllNodes}")],
            Ignored =
            [
                (202,
                [
                    "HA rule 'app-apart' is ignored (conflicts): resources are in node affinity rules with multiple priorities",
                    "HA rule 'skx-first' is ignored (conflicts): resources are in a resource affinity rule and cannot be in a node affinity rule with multiple priorities",
                ]),
                (211, ["HA rule 'app-apart' is ignored (conflicts): resources are in node affinity rules with multiple priorities"]),
            ],
            HaNotesInclude = [(202, "ha-recovery: if pve5 fails, the HA manager may restart VM 202 on pve1, pve2, pve3, which cannot start it")],
            EvacuateNever = [["keeps them apart"]],
            Evacuate = ["  vm:211  AT RISK  " + ToPve5Only],
            PlanStarts = [(202, "skip: named by HA rule 'skx-first', which the HA manager ignores"), (201, "create-rule proxclmc-vm201: ")],
            // A rule for vm:211 would meet app-apart, which meets skx-first's two priorities: the HA manager would drop it.
            Plan = [(211, "skip: the HA manager would drop rule 'proxclmc-vm211': resources are in a resource affinity rule and cannot be in a node affinity rule with multiple priorities; not planned")],
        },

        // Resources kept together but pinned to different nodes lose all three rules.
        ["positive-two-node-affinity"] = new()
        {
            Guests = [(201, $"exceeds-baseline [ha-rule-ignored,ha-rule-ignored,ha-recovery] {AllNodes}"), (211, $"exceeds-baseline [ha-rule-ignored,ha-rule-ignored,ha-recovery] {AllNodes}")],
            Ignored =
            [
                (201,
                [
                    "HA rule 'db-on-pve4' is ignored (conflicts): at least one resource is in a positive resource affinity rule and there are other resources in at least one other node affinity rule already",
                    "HA rule 'db-with-app' is ignored (conflicts): resources are in multiple node affinity rules",
                ]),
            ],
            HaNotesInclude = [(211, "ha-recovery: if pve4 fails, the HA manager may restart VM 211 on pve1, pve2, pve3, which cannot start it")],
            Evacuate = ["  vm:201  AT RISK  " + ToPve5Only, "  vm:211  AT RISK  " + ToPve5Only],
            PlanStarts = [(201, "skip: named by HA rule 'db-on-pve4', which the HA manager ignores"), (211, "skip: named by HA rule 'app-on-pve5', which the HA manager ignores")],
        },

        // Resources kept apart but pinned to one node lose both rules.
        ["negative-node-affinity-consistency"] = new()
        {
            Ignored =
            [
                (211,
                [
                    "HA rule 'all-on-pve4' is ignored (conflicts): at least one resource is in a negative resource affinity rule and this rule would restrict these to less nodes than available to the resources",
                    "HA rule 'db-apart' is ignored (conflicts): two or more resources are restricted to less nodes than available to the resources",
                ]),
            ],
            Guests = [(201, $"exceeds-baseline [ha-rule-ignored,ha-rule-ignored,ha-recovery] {AllNodes}")],
            EvacuateNever = [["keeps them apart"]],
            Evacuate = ["  vm:201  AT RISK  " + ToPve5Only],
            PlanStarts = [(201, "skip: named by HA rule 'all-on-pve4', which the HA manager ignores")],
        },

        // A chain of positive rules meeting two node-affinity rules loses all four.
        ["merged-chain-two-node-affinity"] = new()
        {
            Ignored =
            [
                (206,
                [
                    "HA rule 'chain-a' is ignored (conflicts): resources are in multiple node affinity rules",
                    "HA rule 'chain-b' is ignored (conflicts): resources are in multiple node affinity rules",
                ]),
            ],
            Guests = [(211, $"exceeds-baseline [ha-rule-ignored,ha-rule-ignored,ha-recovery] {AllNodes}")],
            IgnoredIncludes = [(211, "HA rule 'app-skx' is ignored (conflicts): at least one resource is in a positive resource affinity rule and there are other resources in at least one other node affinity rule already")],
            EvacuateNever = [["keep them together"], ["keeps them together"]],
            Evacuate = ["  vm:211  AT RISK  " + ToPve5Only],
            PlanStarts = [(201, "skip: named by HA rule 'db-skx', which the HA manager ignores")],
        },

        // A partner in a positive rule follows the strict rule of its partner.
        ["implicit-node-affinity"] = new()
        {
            Guests = [(211, "ok [ha-rule] pve4,pve5"), (201, "ok [ha-rule] pve4,pve5")], // HA confines vm:211 to pve4 and pve5, which can run it
            HaNotes = [(211, ["ha-rule: strict HA rule 'skx-only' (pve4, pve5) via positive rule 'db-with-app' keeps it on pve4, pve5: judged against those nodes"])],
            Ignored = [(201, [])],
            ScanNever = ["ignored by the HA manager"],
            Evacuate = ["  vm:211  ok       HA picks pve5; allowed nodes that can run it: pve5 (strict HA rule 'skx-only' (pve4, pve5) via positive rule 'db-with-app')"],
            NotPlanned = [211], // safe now: nothing to plan
            // vm:205 has no rule, but vm:206 is kept with it: the rule planned for it places vm:206 too.
            Plan = [(205, Vm205Rule + "; the HA manager keeps vm:206 with it (positive rule 'runner-with-cache'), so the rule places it too")],
        },

        // Positive rules sharing a resource are merged and all follow one strict rule.
        ["merged-node-affinity"] = new()
        {
            Guests = [(206, "ok [ha-rule] pve4,pve5"), (207, "ok [ha-rule] pve4,pve5")],
            HaNotes = [(207, ["ha-rule: strict HA rule 'skx-only' (pve4, pve5) via positive rules 'chain-a' and 'chain-b' keeps it on pve4, pve5: judged against those nodes"])],
            // vm:201 and vm:206 leave pve4 for vm:207's node, as the merged rule keeps all three together.
            Evacuate =
            [
                "  vm:201  ok       HA picks pve5; allowed nodes that can run it: pve5 (strict HA rule 'skx-only' (pve4, pve5))",
                "          only pve5: vm:207 runs there, and rules 'chain-a' and 'chain-b' keep them together",
            ],
            NotPlanned = [206],
        },

        // A partner in a positive rule is kept apart from what its partner is kept apart from.
        ["implicit-negative"] = new()
        {
            Guests = [(205, $"exceeds-baseline [ha-recovery] {AllNodes}")],
            Evacuate =
            [
                "  vm:205  AT RISK  HA picks the least loaded of pve1, pve2, pve3; allowed nodes that can run it: pve2, pve3, pve5 (no HA rule)",
                "          not pve5: vm:207 runs there, and rules 'runner-with-cache' and 'cache-apart' keep them apart",
                "          not pve5: vm:207 runs there, and rule 'cache-apart' keeps them apart",
            ],
            PlanStarts = [(205, "create-rule proxclmc-vm205: ")],
        },

        // A restricted group is checked as the strict rule the HA manager migrates it to.
        ["group-migration"] = new()
        {
            Ignored =
            [
                (203,
                [
                    "HA rule 'ha-group-v3-nodes' is ignored (conflicts): at least one resource is in a negative resource affinity rule and this rule would restrict these to less nodes than available to the resources",
                    "HA rule 'web-apart' is ignored (conflicts): two or more resources are restricted to less nodes than available to the resources",
                ]),
            ],
            Guests = [(204, $"exceeds-baseline [ha-rule-ignored,ha-rule-ignored,ha-recovery] {AllNodes}")],
            Evacuate = ["  vm:205  AT RISK  HA picks the least loaded of pve1, pve2, pve3, pve5; allowed nodes that can run it: pve2, pve3, pve5 (no HA rule)"],
            // groups.cfg still has groups: the plan makes groups, and leaves the guests of the ignored group to be fixed by hand.
            PlanStarts = [(203, "skip: named by HA group 'v3-nodes', which the HA manager ignores"), (201, "create-group proxclmc-vm201: restricted HA group 'proxclmc-vm201' on pve4, pve5")],
        },
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys.ToArray());

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Each_rule_case_gives_its_verdicts_notes_evacuation_and_placement_plan(string @case)
    {
        var expected = Cases[@case];

        var run = Run(Cluster(@case));

        foreach (var (vmid, line) in expected.Guests)
        {
            Assert.Equal(line, run.Guests[vmid]);
        }

        foreach (var (vmid, rules) in expected.Ignored)
        {
            Assert.Equal(rules.Select(r => r + Judged), run.Ignored(vmid));
        }

        foreach (var (vmid, rule) in expected.IgnoredIncludes)
        {
            Assert.Contains(rule + Judged, run.Ignored(vmid));
        }

        foreach (var (vmid, notes) in expected.HaNotes)
        {
            Assert.Equal(notes, run.HaNotes[vmid]);
        }

        foreach (var (vmid, note) in expected.HaNotesInclude)
        {
            Assert.Contains(note, run.HaNotes[vmid]);
        }

        foreach (var line in expected.ScanWarnings)
        {
            Assert.Contains(line, run.Scan.ErrorLines);
        }

        foreach (var text in expected.ScanNever)
        {
            Assert.DoesNotContain(run.Scan.ErrorLines, l => l.Contains(text, StringComparison.Ordinal));
        }

        foreach (var line in expected.Evacuate)
        {
            Assert.Contains(line, run.Evacuate.OutLines);
        }

        foreach (var texts in expected.EvacuateNever)
        {
            Assert.DoesNotContain(run.Evacuate.OutLines, l => texts.All(t => l.Contains(t, StringComparison.Ordinal)));
        }

        foreach (var (vmid, entry) in expected.Plan)
        {
            Assert.Equal(entry, run.Plan[vmid]);
        }

        foreach (var (vmid, start) in expected.PlanStarts)
        {
            Assert.StartsWith(start, run.Plan[vmid], StringComparison.Ordinal);
        }

        foreach (var vmid in expected.NotPlanned)
        {
            Assert.False(run.Plan.ContainsKey(vmid));
        }
    }
}
