using System.Text.Json;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Ha;

/// <summary>
/// <c>fix --strategy placement</c> against the fake Proxmox (PVE 9, groups already migrated): the plan pins an
/// unsafe HA guest with a strict node-affinity rule instead of lowering its cpu and is saved like a cpu plan; the
/// command it prints writes exactly that rule, a re-scan shows the guest safe, and <c>fix --undo</c> removes the rule
/// again. A plan whose HA configuration changed since, an expired plan and another cluster's plan write nothing.
/// </summary>
public sealed class HaPlacementFixTests : IDisposable
{
    private readonly TempTree _lab;
    private readonly TempTree _dir = new();

    public HaPlacementFixTests()
    {
        // The ha-lab after PVE 9's migration of its group: no groups.cfg, the group became a rule.
        _lab = new TempTree().CopyFrom(RepoPaths.HaLab);
        File.Delete(_lab.PathOf("ha", "groups.cfg"));
        File.WriteAllText(_lab.PathOf("ha", "resources.cfg"), File.ReadAllText(_lab.PathOf("ha", "resources.cfg")).Replace("\tgroup v3-nodes\n", "", StringComparison.Ordinal));
        File.AppendAllText(_lab.PathOf("ha", "rules.cfg"), "\nnode-affinity: ha-group-v3-nodes\n\tnodes pve2,pve3\n\tresources vm:203,vm:204\n\tstrict 1\n");
    }

    public void Dispose()
    {
        _lab.Dispose();
        _dir.Dispose();
    }

    private string Config(FakeProxmox pve) => FakePveFixture.WriteConfig(pve, _dir.Root, extra: $"[fix]\nundo_dir = \"{_dir.PathOf("undo")}\"");

    /// <summary>The command the plan run prints for the administrator to paste.</summary>
    private static string PrintedCommand(CliResult plan)
    {
        var match = Regex.Match(plan.Error, @"run `(proxclmc-guard fix --apply (\d{8}-\d{6}-[0-9a-f]{4}))`");
        Assert.True(match.Success, plan.ToString());
        return match.Groups[1].Value;
    }

    private static string PlanIdOf(string command) => command.Split(' ')[^1];

    /// <summary>Removes the lab's non-strict rule 'prefer-v3', so VM 211 (x86-64-v4) can be pinned by a plan too.</summary>
    private void DropTheNonStrictRuleOfVm211()
    {
        var rules = _lab.PathOf("ha", "rules.cfg");
        File.WriteAllText(rules, File.ReadAllText(rules).Replace("node-affinity: prefer-v3\n\tnodes pve2,pve3\n\tresources vm:211\n", "", StringComparison.Ordinal));
    }

    /// <summary>The printed command as pasted, with the administrator's --config.</summary>
    private static CliResult RunPasted(string command, string config) =>
        GuardRun.Run([.. command.Split(' ').Skip(1), "--config", config]);

    private static string[] Listing(string directory) =>
        Directory.GetFileSystemEntries(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

    private static JsonElement Guest(CliResult scan, int vmid)
    {
        using var doc = JsonDocument.Parse(scan.Out);
        return doc.RootElement.GetProperty("guests").EnumerateArray().Single(g => g.GetProperty("vmid").GetInt32() == vmid).Clone();
    }

    [Fact]
    public async Task Apply_writes_a_strict_rule_a_rescan_shows_the_guest_safe_and_undo_removes_it()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = _lab.Root });
        var config = Config(pve);

        var before = GuardRun.Run("scan", "--config", config, "--format", "json");
        var apply = GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--apply", "--config", config);
        var after = GuardRun.Run("scan", "--config", config, "--format", "json");

        Assert.Equal("exceeds-baseline", Guest(before, 205).GetProperty("verdict").GetString());
        Assert.True(apply.Exit == 0, apply.ToString());
        var planId = apply.OutLines[0].Split(' ')[2].TrimEnd(':');
        Assert.Contains("  205    ci-runner pve4   x86-64-v3  rule proxclmc-vm205", apply.OutLines);
        Assert.Contains("         keeps cpu x86-64-v3 and the nodes pve2, pve3, pve4, pve5; loses pve1", apply.OutLines);
        Assert.Contains("node-affinity: proxclmc-vm205\n\tnodes pve2,pve3,pve4,pve5\n\tresources vm:205\n\tstrict 1\n", pve.Ha.FileText("rules"), StringComparison.Ordinal);
        var fixedGuest = Guest(after, 205);
        Assert.Equal("ok", fixedGuest.GetProperty("verdict").GetString());
        Assert.Equal("x86-64-v3", fixedGuest.GetProperty("cpuOption").GetString()); // the cpu is not touched
        Assert.Equal("every node of strict HA rule 'proxclmc-vm205' (pve2, pve3, pve4, pve5) can run x86-64-v3", fixedGuest.GetProperty("reason").GetString());
        Assert.True(File.Exists(_dir.PathOf("undo", planId + ".placement.jsonl")));

        var undo = GuardRun.Run("fix", "--undo", planId, "--config", config);
        var undone = GuardRun.Run("scan", "--config", config, "--format", "json");

        Assert.True(undo.Exit == 0, undo.ToString());
        Assert.Contains("  205: removed rule 'proxclmc-vm205'", undo.OutLines);
        Assert.DoesNotContain("proxclmc-vm205", pve.Ha.FileText("rules"), StringComparison.Ordinal);
        Assert.Equal("exceeds-baseline", Guest(undone, 205).GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task Undo_leaves_a_rule_alone_that_someone_changed_since()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = _lab.Root });
        var config = Config(pve);
        var apply = GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--apply", "--config", config);
        var planId = apply.OutLines[0].Split(' ')[2].TrimEnd(':');

        // The administrator narrowed the rule by hand since.
        pve.Ha.SetFileText("rules", pve.Ha.FileText("rules")!.Replace("nodes pve2,pve3,pve4,pve5\n\tresources vm:205", "nodes pve4,pve5\n\tresources vm:205", StringComparison.Ordinal));
        var undo = GuardRun.Run("fix", "--undo", planId, "--config", config);

        Assert.Equal(2, undo.Exit);
        Assert.Contains("  205: rule 'proxclmc-vm205' was changed since; left alone", undo.OutLines);
        Assert.Contains("proxclmc-vm205", pve.Ha.FileText("rules"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_in_one_step_writes_nothing_when_the_HA_configuration_changes_while_planning()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = _lab.Root });
        var config = Config(pve);
        var changed = false;

        // The plan takes the digests, then the scan reads the rules; before the first write the digests are read
        // again: someone adds a rule just then.
        pve.RequestStarted += () =>
        {
            if (!changed && pve.Requests.Count(r => r.Method == "GET" && r.Path == "/cluster/ha/rules") == 2)
            {
                changed = true;
                pve.Ha.SetFileText("rules", pve.Ha.FileText("rules") + "\nnode-affinity: added-meanwhile\n\tnodes pve2,pve3\n\tresources vm:206\n");
            }
        };

        var apply = GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--apply", "--config", config);

        Assert.Equal(2, apply.Exit);
        Assert.Matches(@"^proxclmc-guard: the HA configuration changed since plan \S+ was made \(ha/rules.cfg\): wrote 0 of 1, nothing more; review a new plan", Assert.Single(apply.ErrorLines));
        Assert.Contains("  205: not written: ha/rules.cfg changed since the plan", apply.OutLines);
        Assert.DoesNotContain("proxclmc-vm205", pve.Ha.FileText("rules"), StringComparison.Ordinal);
        Assert.DoesNotContain(pve.Requests, r => r.Method != "GET");
    }

    [Fact]
    public async Task The_printed_command_writes_exactly_the_planned_rule_a_rescan_shows_the_guest_safe_and_undo_removes_it()
    {
        // Without its non-strict rule, VM 211 (x86-64-v4, only pve4 and pve5 can run it) can be pinned too.
        DropTheNonStrictRuleOfVm211();
        Assert.Contains("  211    analytics pve4   x86-64-v4  rule proxclmc-vm211", GuardRun.Run("fix", "--strategy", "placement", "--from", _lab.Root).OutLines);
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = _lab.Root });
        var config = Config(pve);
        var rulesBefore = pve.Ha.FileText("rules");

        var plan = GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--config", config);

        Assert.Equal(2, plan.Exit);
        var command = PrintedCommand(plan);
        var planId = PlanIdOf(command);
        Assert.Equal($"proxclmc-guard: 1 HA rule to create (plan {planId}); run `proxclmc-guard fix --apply {planId}` to write exactly this plan (within 60 minutes)", Assert.Single(plan.ErrorLines));
        Assert.Equal($"Placement plan {planId}: strict node-affinity rules (Proxmox VE 9); cpu values are not changed; saved in {_dir.PathOf("undo")}", plan.OutLines[0]);
        Assert.Contains("  205    ci-runner pve4   x86-64-v3  rule proxclmc-vm205", plan.OutLines);
        Assert.DoesNotContain(plan.OutLines, l => l.Contains("211", StringComparison.Ordinal));
        Assert.DoesNotContain(pve.Requests, r => r.Method != "GET");
        Assert.Equal(rulesBefore, pve.Ha.FileText("rules"));
        var saved = File.ReadAllText(_dir.PathOf("undo", planId + ".plan.json"));
        Assert.Contains("\"strategy\": \"placement\"", saved, StringComparison.Ordinal);
        Assert.Contains("\"cluster\": \"ha-lab\"", saved, StringComparison.Ordinal);
        Assert.Matches("\"haDigest\": \"resources=[0-9a-f]{40} rules=[0-9a-f]{40}\"", saved);

        // The pasted command takes no filter, and writes VM 205's rule only, as reviewed.
        pve.ClearRequestLog();
        var apply = RunPasted(command, config);
        var after = GuardRun.Run("scan", "--config", config, "--format", "json");

        Assert.True(apply.Exit == 0, apply.ToString());
        Assert.Contains("  205: created strict node-affinity rule 'proxclmc-vm205' on pve2, pve3, pve4, pve5", apply.OutLines);
        var write = Assert.Single(pve.Requests, r => r.Method != "GET");
        Assert.Equal(("POST", "/cluster/ha/rules"), (write.Method, write.Path));
        Assert.Contains("node-affinity: proxclmc-vm205\n\tnodes pve2,pve3,pve4,pve5\n\tresources vm:205\n\tstrict 1\n", pve.Ha.FileText("rules"), StringComparison.Ordinal);
        Assert.DoesNotContain("proxclmc-vm211", pve.Ha.FileText("rules"), StringComparison.Ordinal);
        Assert.Equal("ok", Guest(after, 205).GetProperty("verdict").GetString());
        Assert.Equal("every node of strict HA rule 'proxclmc-vm205' (pve2, pve3, pve4, pve5) can run x86-64-v3", Guest(after, 205).GetProperty("reason").GetString());

        var again = RunPasted(command, config);
        Assert.Equal(64, again.Exit);
        Assert.Contains($"--apply {planId}: this plan was applied already", again.Error, StringComparison.Ordinal);

        var undo = GuardRun.Run("fix", "--undo", planId, "--config", config);
        var undone = GuardRun.Run("scan", "--config", config, "--format", "json");

        Assert.True(undo.Exit == 0, undo.ToString());
        Assert.Equal(["  205: removed rule 'proxclmc-vm205'"], undo.OutLines);
        Assert.DoesNotContain("proxclmc-vm205", pve.Ha.FileText("rules"), StringComparison.Ordinal);
        Assert.Equal("exceeds-baseline", Guest(undone, 205).GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task An_HA_configuration_changed_between_plan_and_apply_is_a_conflict_nothing_is_written_and_undo_finds_nothing_to_do()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = _lab.Root });
        var config = Config(pve);
        var command = PrintedCommand(GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--config", config));
        var planId = PlanIdOf(command);

        // Someone adds a rule between the review and the apply.
        pve.Ha.SetFileText("rules", pve.Ha.FileText("rules") + "\nnode-affinity: added-meanwhile\n\tnodes pve2,pve3\n\tresources vm:206\n");
        pve.ClearRequestLog();
        var apply = RunPasted(command, config);

        Assert.Equal(2, apply.Exit);
        Assert.Equal($"proxclmc-guard: the HA configuration changed since plan {planId} was made (ha/rules.cfg): wrote 0 of 1, nothing more; review a new plan (`proxclmc-guard fix --strategy placement`)", Assert.Single(apply.ErrorLines));
        Assert.Contains("  205: not written: ha/rules.cfg changed since the plan", apply.OutLines);
        Assert.DoesNotContain(pve.Requests, r => r.Method != "GET");
        Assert.DoesNotContain("proxclmc-vm205", pve.Ha.FileText("rules"), StringComparison.Ordinal);

        // The undo record says the write was refused: undo has nothing to remove, and says so with exit 0.
        var undo = GuardRun.Run("fix", "--undo", planId, "--config", config);

        Assert.True(undo.Exit == 0, undo.ToString());
        Assert.Equal(["  205: rule 'proxclmc-vm205' was not written (the write was refused or failed): nothing to undo"], undo.OutLines);
        Assert.Contains("added-meanwhile", pve.Ha.FileText("rules"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_change_between_two_writes_stops_the_plan_and_undo_removes_what_was_written_with_exit_0()
    {
        // Without its non-strict rule, VM 211 can be pinned too: the plan has two rules.
        DropTheNonStrictRuleOfVm211();
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = _lab.Root });
        var config = Config(pve);
        var plan = GuardRun.Run("fix", "--strategy", "placement", "--config", config);
        var command = PrintedCommand(plan);
        var planId = PlanIdOf(command);
        Assert.StartsWith($"proxclmc-guard: 2 HA rules to create (plan {planId})", plan.Error, StringComparison.Ordinal);

        // The apply reads the rules before the first write and again after it; someone adds a rule before the check
        // of the second write.
        pve.ClearRequestLog();
        var changed = false;
        pve.RequestStarted += () =>
        {
            if (!changed && pve.Requests.Count(r => r.Method == "GET" && r.Path == "/cluster/ha/rules") == 2)
            {
                changed = true;
                pve.Ha.SetFileText("rules", pve.Ha.FileText("rules") + "\nnode-affinity: added-meanwhile\n\tnodes pve2,pve3\n\tresources vm:206\n");
            }
        };
        var apply = RunPasted(command, config);

        Assert.Equal(2, apply.Exit);
        Assert.Equal(["  205: created strict node-affinity rule 'proxclmc-vm205' on pve2, pve3, pve4, pve5", "  211: not written: ha/rules.cfg changed since the plan"], apply.OutLines.Where(l => l.StartsWith("  2", StringComparison.Ordinal) && l.Contains(": ", StringComparison.Ordinal)));
        Assert.Equal($"proxclmc-guard: the HA configuration changed since plan {planId} was made (ha/rules.cfg): wrote 1 of 2, nothing more; review a new plan (`proxclmc-guard fix --strategy placement`); undo with `proxclmc-guard fix --undo {planId}`", Assert.Single(apply.ErrorLines));
        Assert.Contains("proxclmc-vm205", pve.Ha.FileText("rules"), StringComparison.Ordinal);
        Assert.DoesNotContain("proxclmc-vm211", pve.Ha.FileText("rules"), StringComparison.Ordinal);

        var undo = GuardRun.Run("fix", "--undo", planId, "--config", config);

        Assert.True(undo.Exit == 0, undo.ToString());
        Assert.Equal(["  211: rule 'proxclmc-vm211' was not written (the write was refused or failed): nothing to undo", "  205: removed rule 'proxclmc-vm205'"], undo.OutLines);
        Assert.DoesNotContain("proxclmc-vm205", pve.Ha.FileText("rules"), StringComparison.Ordinal);
        Assert.Contains("added-meanwhile", pve.Ha.FileText("rules"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_change_made_right_after_a_write_is_told_from_the_write_and_stops_the_plan()
    {
        DropTheNonStrictRuleOfVm211();
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = _lab.Root });
        var config = Config(pve);
        var command = PrintedCommand(GuardRun.Run("fix", "--strategy", "placement", "--config", config));
        var planId = PlanIdOf(command);

        // Someone adds a rule the moment the first rule is written, before the apply reads the digests it left: the
        // new digests hold both changes, and only the comparison of the entries tells them apart.
        pve.ClearRequestLog();
        var changed = false;
        pve.RequestStarted += () =>
        {
            if (!changed && pve.Requests.Any(r => r.Method == "POST"))
            {
                changed = true;
                pve.Ha.SetFileText("rules", pve.Ha.FileText("rules") + "\nnode-affinity: added-meanwhile\n\tnodes pve2,pve3\n\tresources vm:206\n");
            }
        };
        var apply = RunPasted(command, config);

        Assert.Equal(2, apply.Exit);
        Assert.Contains("  211: not written: someone else changed the HA configuration while this plan was being written", apply.OutLines);
        Assert.Equal($"proxclmc-guard: the HA configuration changed since plan {planId} was made (while the plan was being written): wrote 1 of 2, nothing more; review a new plan (`proxclmc-guard fix --strategy placement`); undo with `proxclmc-guard fix --undo {planId}`", Assert.Single(apply.ErrorLines));
        Assert.Single(pve.Requests, r => r.Method == "POST");
        Assert.DoesNotContain("proxclmc-vm211", pve.Ha.FileText("rules"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("9.2", "rule")]
    [InlineData("8.4", "group")]
    public async Task Every_rule_or_group_of_a_plan_is_written_when_nobody_else_writes(string release, string kind)
    {
        // Without VM 211's non-strict rule (PVE 9), or with the ha-lab's groups and no rules (PVE 8), several guests
        // can be pinned.
        DropTheNonStrictRuleOfVm211();
        using var pve8Lab = new TempTree().CopyFrom(RepoPaths.HaLab);
        File.Delete(pve8Lab.PathOf("ha", "rules.cfg"));
        var lab = kind == "group" ? pve8Lab.Root : _lab.Root;

        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = lab, Release = PveRelease.Parse(release) });
        var config = Config(pve);
        var plan = GuardRun.Run("fix", "--strategy", "placement", "--config", config);
        var command = PrintedCommand(plan);
        var count = int.Parse(Regex.Match(plan.Error, $@"(\d+) HA {kind}s to create").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(count >= 2, plan.ToString());

        var apply = RunPasted(command, config);

        Assert.Equal(count, apply.OutLines.Count(l => l.Contains(": created ", StringComparison.Ordinal)));
        Assert.DoesNotContain(apply.OutLines, l => l.Contains("not written", StringComparison.Ordinal));
        Assert.StartsWith($"proxclmc-guard: wrote {count} of {count}", apply.Error, StringComparison.Ordinal);
        Assert.Equal(count, pve.Requests.Count(r => r.Method == "POST"));
    }

    [Fact]
    public async Task A_failed_write_stops_with_exit_3_and_is_recorded_as_not_written()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = _lab.Root });
        var config = Config(pve);
        var command = PrintedCommand(GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--config", config));
        var planId = PlanIdOf(command);
        pve.FailNext("/cluster/ha/rules", 1, 500, "cfs-lock 'domain-ha' error: got lock request timeout", method: "POST");

        var apply = RunPasted(command, config);
        var undo = GuardRun.Run("fix", "--undo", planId, "--config", config);

        Assert.Equal(3, apply.Exit);
        Assert.StartsWith("proxclmc-guard: VM 205: write failed: ", Assert.Single(apply.ErrorLines), StringComparison.Ordinal);
        Assert.Contains("cfs-lock 'domain-ha' error", apply.Error, StringComparison.Ordinal);
        Assert.EndsWith("; stopped after 0 of 1", apply.ErrorLines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("proxclmc-vm205", pve.Ha.FileText("rules"), StringComparison.Ordinal);
        Assert.Contains("\"written\":false", File.ReadAllText(_dir.PathOf("undo", planId + ".placement.jsonl")), StringComparison.Ordinal);
        Assert.True(undo.Exit == 0, undo.ToString());
        Assert.Equal(["  205: rule 'proxclmc-vm205' was not written (the write was refused or failed): nothing to undo"], undo.OutLines);
    }

    [Fact]
    public async Task A_plan_older_than_plan_max_age_seconds_is_refused_and_writes_nothing()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = _lab.Root });
        var config = Config(pve);
        var command = PrintedCommand(GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--config", config));
        var planId = PlanIdOf(command);

        var apply = GuardRun.RunAt(GuardRun.Now.AddSeconds(3601), null, [.. command.Split(' ').Skip(1), "--config", config]);

        Assert.Equal(64, apply.Exit);
        Assert.Equal($"proxclmc-guard: --apply {planId}: the plan is 60 minutes old, older than fix.plan_max_age_seconds (60 minutes); make a new plan with `proxclmc-guard fix --strategy placement`", Assert.Single(apply.ErrorLines));
        Assert.DoesNotContain(pve.Requests, r => r.Method != "GET");
        Assert.False(File.Exists(_dir.PathOf("undo", planId + ".placement.jsonl")));
    }

    [Fact]
    public async Task A_plan_made_against_another_cluster_is_refused_and_writes_nothing()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = _lab.Root });
        var config = Config(pve);
        var command = PrintedCommand(GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--config", config));
        var planId = PlanIdOf(command);
        var planFile = _dir.PathOf("undo", planId + ".plan.json");
        File.WriteAllText(planFile, File.ReadAllText(planFile).Replace("\"cluster\": \"ha-lab\"", "\"cluster\": \"prod\"", StringComparison.Ordinal));

        var apply = RunPasted(command, config);

        Assert.Equal(64, apply.Exit);
        Assert.Equal($"proxclmc-guard: --apply {planId}: the plan was made against cluster 'prod', this is cluster 'ha-lab'", Assert.Single(apply.ErrorLines));
        Assert.DoesNotContain(pve.Requests, r => r.Method != "GET");
    }

    [Fact]
    public async Task An_edited_or_damaged_plan_file_is_refused_naming_what_is_wrong_and_writes_nothing()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = _lab.Root });
        var config = Config(pve);
        var command = PrintedCommand(GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--config", config));
        var planId = PlanIdOf(command);
        var planFile = _dir.PathOf("undo", planId + ".plan.json");
        var original = File.ReadAllText(planFile);

        // A rule id that is not the one made for the guest: someone's own rule is never written over or removed later.
        File.WriteAllText(planFile, original.Replace("\"ruleId\": \"proxclmc-vm205\"", "\"ruleId\": \"skx-only\"", StringComparison.Ordinal));
        var renamed = RunPasted(command, config);

        // A value the plan must have is null.
        File.WriteAllText(planFile, original.Replace("\"cpu\": \"x86-64-v3\"", "\"cpu\": null", StringComparison.Ordinal));
        var damaged = RunPasted(command, config);

        Assert.Equal(64, renamed.Exit);
        Assert.Equal($"proxclmc-guard: --apply {planId}: VM 205 in the plan: resource 'vm:205' and rule 'skx-only' are not the ones made for it; make a new plan with `proxclmc-guard fix --strategy placement`", Assert.Single(renamed.ErrorLines));
        Assert.Equal(3, damaged.Exit);
        Assert.Matches($@"^proxclmc-guard: {Regex.Escape(planFile)}:\d+:\d+: not a fix plan: ", Assert.Single(damaged.ErrorLines));
        Assert.DoesNotContain(pve.Requests, r => r.Method != "GET");
        Assert.False(File.Exists(_dir.PathOf("undo", planId + ".placement.jsonl")));
    }

    [Fact]
    public async Task With_format_json_plan_apply_and_undo_each_print_one_document()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = _lab.Root });
        var config = Config(pve);

        var plan = GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--config", config, "--format", "json");
        var planId = PlanIdOf(PrintedCommand(plan));
        var apply = GuardRun.Run("fix", "--apply", planId, "--config", config, "--format", "json");
        var undo = GuardRun.Run("fix", "--undo", planId, "--config", config, "--format", "json");

        using var planDoc = JsonDocument.Parse(plan.Out);
        using var applyDoc = JsonDocument.Parse(apply.Out);
        using var undoDoc = JsonDocument.Parse(undo.Out);
        Assert.Equal(planId, planDoc.RootElement.GetProperty("planId").GetString());
        Assert.Equal("create-rule", planDoc.RootElement.GetProperty("entries")[0].GetProperty("action").GetString());
        Assert.Equal(2, planDoc.RootElement.GetProperty("exitCode").GetInt32());
        Assert.True(apply.Exit == 0, apply.ToString());
        var applied = Assert.Single(applyDoc.RootElement.GetProperty("results").EnumerateArray());
        Assert.Equal(("proxclmc-vm205", "applied"), (applied.GetProperty("id").GetString(), applied.GetProperty("outcome").GetString()));
        Assert.True(undo.Exit == 0, undo.ToString());
        var removed = Assert.Single(undoDoc.RootElement.GetProperty("results").EnumerateArray());
        Assert.Equal(("proxclmc-vm205", "removed"), (removed.GetProperty("id").GetString(), removed.GetProperty("outcome").GetString()));
        Assert.DoesNotContain("proxclmc-vm205", pve.Ha.FileText("rules"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_placement_plan_is_not_applied_as_a_cpu_plan()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = _lab.Root });
        var config = Config(pve);
        var planId = PlanIdOf(PrintedCommand(GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--config", config)));

        var apply = GuardRun.Run("fix", "--strategy", "cpu", "--apply", planId, "--config", config);

        Assert.Equal(64, apply.Exit);
        Assert.Equal($"proxclmc-guard: --apply {planId}: this is a 'placement' plan, not 'cpu' (the plan says what it writes: leave out --strategy)", Assert.Single(apply.ErrorLines));
        Assert.DoesNotContain(pve.Requests, r => r.Method != "GET");
    }

    [Fact]
    public async Task On_Proxmox_VE_8_the_printed_command_makes_a_restricted_group_and_undo_removes_it()
    {
        using var lab = new TempTree().CopyFrom(RepoPaths.HaLab);
        File.Delete(lab.PathOf("ha", "rules.cfg"));
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = lab.Root, Release = PveRelease.Parse("8.4") });
        var config = Config(pve);

        var plan = GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--config", config);
        var command = PrintedCommand(plan);
        var planId = PlanIdOf(command);
        Assert.Equal($"proxclmc-guard: 1 HA group to create (plan {planId}); run `proxclmc-guard fix --apply {planId}` to write exactly this plan (within 60 minutes)", Assert.Single(plan.ErrorLines));
        Assert.Contains("  205    ci-runner pve4   x86-64-v3  group proxclmc-vm205", plan.OutLines);
        Assert.Contains("\"haDigest\": \"resources=", File.ReadAllText(_dir.PathOf("undo", planId + ".plan.json")), StringComparison.Ordinal);
        Assert.Contains("groups=", File.ReadAllText(_dir.PathOf("undo", planId + ".plan.json")), StringComparison.Ordinal);
        Assert.DoesNotContain(pve.Requests, r => r.Method != "GET");

        // --strategy placement may be given too: it matches the plan.
        var apply = GuardRun.Run("fix", "--strategy", "placement", "--apply", planId, "--config", config);
        var after = GuardRun.Run("scan", "--config", config, "--format", "json");

        Assert.True(apply.Exit == 0, apply.ToString());
        Assert.Contains("  205: created restricted group 'proxclmc-vm205' on pve2, pve3, pve4, pve5", apply.OutLines);
        Assert.Contains("group: proxclmc-vm205\n\tnodes pve2,pve3,pve4,pve5\n\trestricted 1\n", pve.Ha.FileText("groups"), StringComparison.Ordinal);
        Assert.Contains("vm: 205\n\tgroup proxclmc-vm205\n", pve.Ha.FileText("resources"), StringComparison.Ordinal);
        Assert.Equal("ok", Guest(after, 205).GetProperty("verdict").GetString());
        Assert.Equal("every node of restricted HA group 'proxclmc-vm205' (pve2, pve3, pve4, pve5) can run x86-64-v3", Guest(after, 205).GetProperty("reason").GetString());

        var undo = GuardRun.Run("fix", "--undo", planId, "--config", config);

        Assert.True(undo.Exit == 0, undo.ToString());
        Assert.Equal(["  205: removed group 'proxclmc-vm205'"], undo.OutLines);
        Assert.DoesNotContain("proxclmc-vm205", pve.Ha.FileText("groups"), StringComparison.Ordinal);
        Assert.DoesNotContain("proxclmc-vm205", pve.Ha.FileText("resources"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_dry_run_from_a_snapshot_writes_nothing_anywhere_unless_asked_to_save_the_plan()
    {
        var config = _dir.Write($"[fix]\nundo_dir = \"{_dir.PathOf("undo")}\"\n", "dry.toml");
        var before = Listing(_dir.Root);

        var plan = GuardRun.Run("fix", "--strategy", "placement", "--from", RepoPaths.HaLab, "--config", config);

        Assert.Equal(2, plan.Exit);
        Assert.Matches(@"^proxclmc-guard: \d+ HA groups? to create \(plan \S+\); a dry run from --from: nothing saved", Assert.Single(plan.ErrorLines));
        Assert.Equal(before, Listing(_dir.Root));

        var file = _dir.PathOf("reviewed-plan.json");
        var saved = GuardRun.Run("fix", "--strategy", "placement", "--from", RepoPaths.HaLab, "--config", config, "--save-plan", file);

        Assert.Equal(2, saved.Exit);
        Assert.Contains($"a dry run from --from: nothing saved but {file}", saved.Error, StringComparison.Ordinal);
        Assert.Equal(before.Append(file).Order(StringComparer.Ordinal), Listing(_dir.Root));
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        Assert.Equal("placement", doc.RootElement.GetProperty("strategy").GetString());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("placement").GetProperty("haDigest").ValueKind);
        Assert.False(doc.RootElement.GetProperty("placement").TryGetProperty("changes", out _));
        Assert.Contains(doc.RootElement.GetProperty("placement").GetProperty("entries").EnumerateArray(), e => e.GetProperty("ruleId").GetString() == "proxclmc-vm205" && e.GetProperty("action").GetString() == "create-group");
    }

    [Fact]
    public async Task On_Proxmox_VE_8_apply_makes_a_restricted_group_and_undo_removes_it()
    {
        using var lab = new TempTree().CopyFrom(RepoPaths.HaLab);
        File.Delete(lab.PathOf("ha", "rules.cfg"));
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = lab.Root, Release = PveRelease.Parse("8.4") });
        var config = Config(pve);

        var apply = GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--apply", "--config", config);
        var after = GuardRun.Run("scan", "--config", config, "--format", "json");

        Assert.True(apply.Exit == 0, apply.ToString());
        Assert.Contains("group: proxclmc-vm205\n\tnodes pve2,pve3,pve4,pve5\n\trestricted 1\n", pve.Ha.FileText("groups"), StringComparison.Ordinal);
        Assert.Contains("vm: 205\n\tgroup proxclmc-vm205\n", pve.Ha.FileText("resources"), StringComparison.Ordinal);
        Assert.Equal("every node of restricted HA group 'proxclmc-vm205' (pve2, pve3, pve4, pve5) can run x86-64-v3", Guest(after, 205).GetProperty("reason").GetString());

        var planId = apply.OutLines[0].Split(' ')[2].TrimEnd(':');
        var undo = GuardRun.Run("fix", "--undo", planId, "--config", config);

        Assert.True(undo.Exit == 0, undo.ToString());
        Assert.DoesNotContain("proxclmc-vm205", pve.Ha.FileText("groups"), StringComparison.Ordinal);
        Assert.DoesNotContain("proxclmc-vm205", pve.Ha.FileText("resources"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_Proxmox_VE_9_before_the_group_migration_no_rule_is_written()
    {
        // The unedited ha-lab still has groups.cfg: Proxmox refuses new rules until the groups are migrated.
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = RepoPaths.HaLab });

        var apply = GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--apply", "--config", Config(pve));

        Assert.Equal(2, apply.Exit);
        Assert.Equal("proxclmc-guard: the HA groups have not been migrated to rules yet (Proxmox VE 9 does it once every node runs 9): no rule can be created now", Assert.Single(apply.ErrorLines));
        Assert.DoesNotContain(pve.Requests, r => r.Method != "GET");
    }

    [Fact]
    public void A_plan_from_a_snapshot_shows_what_each_guest_keeps_and_loses_and_applies_nothing()
    {
        var plan = GuardRun.Run("fix", "--strategy", "placement", "--from", RepoPaths.HaLab);
        var apply = GuardRun.Run("fix", "--strategy", "placement", "--apply", "--from", RepoPaths.HaLab);

        Assert.Equal(2, plan.Exit);
        Assert.StartsWith("Placement plan ", plan.OutLines[0], StringComparison.Ordinal);
        Assert.EndsWith(": restricted HA groups (Proxmox VE 8); cpu values are not changed", plan.OutLines[0], StringComparison.Ordinal);
        Assert.Contains("  205    ci-runner pve4   x86-64-v3  group proxclmc-vm205", plan.OutLines);
        Assert.Contains("  210    scratch   pve4   x86-64-v4  hookscript", plan.OutLines);
        Assert.Equal(64, apply.Exit);
    }
}
