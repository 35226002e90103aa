using NSubstitute;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Commands;
using ProxClmc.Guard.Configuration;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Testing;
using Serilog.Events;

namespace ProxClmc.Guard.Cli.Tests.Fix;

/// <summary>Given the lab cluster behind the API seams, <c>fix</c> plans, applies and undoes like this.</summary>
public sealed class FixCommandTests : IDisposable
{
    private static readonly int[] Intended = [103, 104, 105, 106, 107, 110, 112, 120, 121];

    private readonly string _undoDir = Path.Combine(Path.GetTempPath(), "proxclmc-fix-tests-" + Guid.NewGuid().ToString("N"));
    private readonly LabGuests _lab = new();
    private readonly List<LogEvent> _log = [];
    private StringWriter _out = new();

    public void Dispose()
    {
        if (Directory.Exists(_undoDir))
        {
            Directory.Delete(_undoDir, recursive: true);
        }
    }

    private FileFixStore Store => new(_undoDir);

    private RunSettings Settings(FixSettings? fix = null, OutputFormat format = OutputFormat.Table) =>
        new() { Config = GuardConfig.Default with { Fix = fix ?? new FixSettings { UndoDir = _undoDir } }, Format = format };

    private async Task<(int ExitCode, string Message)> Run(FixRequest request, IGuestWriter? writer = null, RunSettings? settings = null, INodeFactsSource? facts = null)
    {
        _out = new StringWriter();
        var environment = new CliEnvironment { Out = _out, Error = new StringWriter(), OutputWidth = 240 };
        settings ??= Settings();
        facts ??= Composition.CompositionRoot.TreeFacts(_lab.Tree, "pve1", "/nonexistent", PhysicalFileSystem.Instance, TimeProvider.System, TimeSpan.FromHours(1));
        var sources = Substitute.For<ISourceFactory>();
        sources.Create(Arg.Any<RunSettings>()).Returns(new ClusterSources(_lab.Tree, facts, _lab, "lab API", writer ?? _lab));
        var logger = new Serilog.LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(new ListSink(_log)).CreateLogger();
        var ctx = new CommandContext(environment, settings, logger, sources, logVerdicts: false);
        try
        {
            return (await FixCommand.ExecuteAsync(ctx, request, Store, CancellationToken.None), "");
        }
        catch (GuardExitException e)
        {
            return (e.ExitCode, e.Message);
        }
        catch (UsageException e)
        {
            return (ExitCodes.Usage, e.Message);
        }
    }

    private static string PlanId(string message) =>
        System.Text.RegularExpressions.Regex.Match(message, @"\d{8}-\d{6}-[0-9a-f]{4}").Value;

    [Fact]
    public async Task A_plan_lists_the_intended_guests_saves_the_plan_and_writes_nothing()
    {
        var (exit, message) = await Run(new FixRequest());

        Assert.Equal(ExitCodes.Unsafe, exit);
        Assert.Contains("9 guests to rewrite", message, StringComparison.Ordinal);
        Assert.Contains("fix --apply", message, StringComparison.Ordinal);
        Assert.Contains("111, 114", message, StringComparison.Ordinal);
        Assert.Empty(_lab.Writes);
        Assert.Equal(0, _lab.Attempts);

        var plan = Store.LoadPlan(PlanId(message));
        Assert.NotNull(plan);
        Assert.Equal(Intended, plan.ChangeEntries().Select(e => e.VmId).Order());
        Assert.Equal(_lab[103].Digest, plan.Entries.Single(e => e.VmId == 103).Digest);
        Assert.Equal(["ssbd"], plan.Entries.Single(e => e.VmId == 110).DroppedFlags);
        Assert.False(File.Exists(Store.UndoPath(plan.Id)));

        var text = _out.ToString();
        Assert.Contains("Fix plan " + plan.Id + ": target x86-64-v2-AES (level)", text, StringComparison.Ordinal);
        Assert.Matches(@"103\s+gitlab-runner\s+pve2\s+x86-64-v3\s+x86-64-v2-AES\s+x86-64-v3 → x86-64-v2-AES\s+change", text);
        Assert.Matches(@"114\s+db-replica\s+pve4\s+x86-64-v3\s+-\s+-\s+skip\s+locked \(backup\)", text);
        Assert.All(text.Split('\n'), line => Assert.Equal(line.TrimEnd(), line));
    }

    [Fact]
    public async Task Apply_changes_exactly_the_planned_configs_and_a_second_fix_plans_nothing()
    {
        var before = (await _lab.GetGuestsAsync(CancellationToken.None)).Guests.ToDictionary(g => g.VmId);

        var (exit, message) = await Run(new FixRequest { Apply = true });

        Assert.Equal(ExitCodes.Unsafe, exit); // 111 (args: -cpu) and 114 (locked) stay unsafe
        Assert.Contains("applied 9 of 9 changes", message, StringComparison.Ordinal);
        Assert.Contains("still unsafe: 111, 114", message, StringComparison.Ordinal);
        Assert.Equal(Intended, _lab.Writes.Select(w => w.VmId).Order());
        foreach (var (vmId, guest) in before)
        {
            var now = _lab[vmId];
            if (Intended.Contains(vmId))
            {
                Assert.NotEqual(guest.Cpu, now.Cpu);
            }
            else
            {
                Assert.Equal(guest, now);
            }
        }

        Assert.Equal("x86-64-v2-AES", _lab[106].Cpu);
        Assert.Equal("x86-64-v2-AES,flags=+spec-ctrl", _lab[110].Cpu);
        Assert.All(_lab.Writes, w => Assert.Equal(before[w.VmId].Digest, w.Digest));

        var (again, againMessage) = await Run(new FixRequest());
        Assert.Equal(ExitCodes.Unsafe, again);
        Assert.StartsWith("nothing the plan can rewrite", againMessage, StringComparison.Ordinal);
        Assert.Equal(9, _lab.Writes.Count);
    }

    [Fact]
    public async Task Apply_of_guests_that_all_get_fixed_exits_0_and_logs_each_change_with_its_fields()
    {
        var (exit, _) = await Run(new FixRequest { Apply = true, VmIds = [103, 106] });

        Assert.Equal(ExitCodes.Ok, exit);
        var changes = _log.Where(e => e.Properties.ContainsKey("PROXCLMC_VMID")).ToList();
        Assert.Equal(2, changes.Count);
        var host = changes.Single(e => e.Properties["PROXCLMC_VMID"].ToString() == "106");
        Assert.Equal("\"pve2\"", host.Properties["PROXCLMC_NODE"].ToString());
        Assert.Equal("\"x86-64-v2-AES\"", host.Properties["PROXCLMC_CPU"].ToString());
        Assert.Equal("\"host\"", host.Properties["PROXCLMC_OLD_CPU"].ToString());
        Assert.Contains("cpu \"host\" -> \"x86-64-v2-AES\"", host.RenderMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_undo_record_is_on_disk_before_its_write()
    {
        var seen = new List<bool>();
        string? planId = null;
        _lab.BeforeWrite = (vmId, _) =>
        {
            planId ??= Directory.GetFiles(_undoDir, "*.plan.json").Select(f => Path.GetFileName(f)[..20]).Single();
            seen.Add(Store.ReadUndo(planId)!.Any(r => r.VmId == vmId && r.NewCpu == "x86-64-v2-AES"));
            return null;
        };

        await Run(new FixRequest { Apply = true, VmIds = [103, 104, 105] });

        Assert.Equal([true, true, true], seen);
        var records = Store.ReadUndo(planId!)!;
        Assert.Equal([103, 104, 105], records.Select(r => r.VmId));
        Assert.Equal(["x86-64-v3", "x86-64-v4", "Skylake-Server-IBRS"], records.Select(r => r.OldCpu));
        Assert.All(records, r => Assert.Equal("x86-64-v2-AES", r.NewCpu));
    }

    [Fact]
    public async Task A_VM_edited_elsewhere_between_plan_and_write_is_replanned_and_the_other_change_survives()
    {
        _lab.BeforeWrite = (vmId, attempt) =>
        {
            if (vmId == 104 && attempt == 2)
            {
                _lab.Edit(104, g => g with { Name = "ml-train-renamed" });
            }

            return null;
        };

        var (exit, _) = await Run(new FixRequest { Apply = true, VmIds = [103, 104, 105] });

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("x86-64-v2-AES", _lab[104].Cpu);
        Assert.Equal("ml-train-renamed", _lab[104].Name);
        Assert.Matches(@"104\s+ml-train\s+pve4\s+x86-64-v2-AES\s+applied", _out.ToString());

        // One undo record per write attempt, and one saying the refused attempt wrote nothing; undo still restores
        // each VM once, to its value before the plan.
        var planId = Directory.GetFiles(_undoDir, "*.plan.json").Select(f => Path.GetFileName(f)[..20]).Single();
        Assert.Equal(new (int, bool?)[] { (103, null), (104, null), (104, false), (104, null), (105, null) }, Store.ReadUndo(planId)!.Select(r => (r.VmId, r.Written)));
        var (undo, _) = await Run(new FixRequest { Undo = planId });
        Assert.Equal(ExitCodes.Ok, undo);
        Assert.Equal(("x86-64-v3", "x86-64-v4", "Skylake-Server-IBRS"), (_lab[103].Cpu, _lab[104].Cpu, _lab[105].Cpu));
        Assert.Equal("ml-train-renamed", _lab[104].Name);
        Assert.Equal(6, _lab.Writes.Count);
    }

    [Fact]
    public async Task A_VM_whose_cpu_was_changed_elsewhere_is_a_conflict_and_keeps_the_other_value()
    {
        _lab.BeforeWrite = (vmId, attempt) =>
        {
            if (vmId == 104 && attempt == 2)
            {
                _lab.Edit(104, g => g with { Cpu = "x86-64-v3" });
            }

            return null;
        };

        var (exit, message) = await Run(new FixRequest { Apply = true, VmIds = [103, 104, 105] });

        Assert.Equal(ExitCodes.Unsafe, exit);
        Assert.Contains("conflicts (changed by someone else): 104", message, StringComparison.Ordinal);
        Assert.Equal("x86-64-v3", _lab[104].Cpu);
        Assert.Equal([103, 105], _lab.Writes.Select(w => w.VmId));
        Assert.Matches(@"104\s+ml-train\s+pve4\s+x86-64-v2-AES\s+CONFLICT\s+changed since the plan: cpu is now x86-64-v3", _out.ToString());
    }

    [Fact]
    public async Task A_VM_made_safe_elsewhere_meanwhile_is_left_as_it_is()
    {
        _lab.BeforeWrite = (vmId, attempt) =>
        {
            if (vmId == 104 && attempt == 1)
            {
                _lab.Edit(104, g => g with { Cpu = "x86-64-v2" });
            }

            return null;
        };

        var (exit, _) = await Run(new FixRequest { Apply = true, VmIds = [104] });

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("x86-64-v2", _lab[104].Cpu);
        Assert.Empty(_lab.Writes);
    }

    [Fact]
    public async Task A_digest_mismatch_is_retried_once_only_then_reported_as_a_conflict()
    {
        var writer = Substitute.For<IGuestWriter>();
        writer.SetCpuAsync("pve2", 103, "x86-64-v2-AES", Arg.Any<string>(), Arg.Any<CancellationToken>())
            .Returns(new WriteResult(WriteOutcome.DigestMismatch, "detected modified configuration - file changed by other user? Try again."));
        writer.ReadGuestAsync("pve2", 103, Arg.Any<CancellationToken>())
            .Returns(_ => _lab[103] with { Digest = "0123456789abcdef0123456789abcdef01234567" });

        var (exit, message) = await Run(new FixRequest { Apply = true, VmIds = [103] }, writer);

        Assert.Equal(ExitCodes.Unsafe, exit);
        Assert.Contains("conflicts (changed by someone else): 103", message, StringComparison.Ordinal);
        await writer.Received(1).SetCpuAsync("pve2", 103, "x86-64-v2-AES", _lab[103].Digest!, Arg.Any<CancellationToken>());
        await writer.Received(1).SetCpuAsync("pve2", 103, "x86-64-v2-AES", "0123456789abcdef0123456789abcdef01234567", Arg.Any<CancellationToken>());
        await writer.Received(1).ReadGuestAsync("pve2", 103, Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task A_VM_locked_at_write_time_is_skipped_with_its_reason_and_the_others_are_applied()
    {
        _lab.BeforeWrite = (vmId, _) =>
        {
            if (vmId == 105)
            {
                _lab.Edit(105, g => g with { Lock = "backup" });
            }

            return null;
        };

        var (exit, message) = await Run(new FixRequest { Apply = true, VmIds = [103, 104, 105] });

        Assert.Equal(ExitCodes.Unsafe, exit);
        Assert.Contains("still unsafe: 105", message, StringComparison.Ordinal);
        Assert.Equal([103, 104], _lab.Writes.Select(w => w.VmId));
        Assert.Matches(@"105\s+sap-hana-test\s+pve4\s+x86-64-v2-AES\s+skipped\s+locked now: VM is locked \(backup\)", _out.ToString());
    }

    [Fact]
    public async Task A_write_the_API_refuses_as_locked_is_skipped_not_retried()
    {
        var writer = Substitute.For<IGuestWriter>();
        writer.SetCpuAsync(Arg.Any<string>(), Arg.Any<int>(), Arg.Any<string>(), Arg.Any<string>(), Arg.Any<CancellationToken>())
            .Returns(new WriteResult(WriteOutcome.Written));
        writer.SetCpuAsync("pve4", 104, Arg.Any<string>(), Arg.Any<string>(), Arg.Any<CancellationToken>())
            .Returns(new WriteResult(WriteOutcome.Locked, "VM is locked (migrate)"));

        var (exit, message) = await Run(new FixRequest { Apply = true, VmIds = [103, 104, 105] }, writer);

        Assert.Equal(ExitCodes.Unsafe, exit);
        Assert.Contains("applied 2 of 3 changes; still unsafe: 104", message, StringComparison.Ordinal);
        await writer.Received(1).SetCpuAsync("pve4", 104, "x86-64-v2-AES", _lab[104].Digest!, Arg.Any<CancellationToken>());
        await writer.DidNotReceive().ReadGuestAsync(Arg.Any<string>(), Arg.Any<int>(), Arg.Any<CancellationToken>());
        Assert.Matches(@"104\s+ml-train\s+pve4\s+x86-64-v2-AES\s+skipped\s+locked now: VM is locked \(migrate\)", _out.ToString());
    }

    [Fact]
    public async Task A_running_VM_with_include_running_gets_a_pending_change_reported_as_waiting_for_a_cold_start()
    {
        _lab.Edit(103, g => g with { Status = "running" });

        var (skipped, _) = await Run(new FixRequest { Apply = true, VmIds = [103] });
        Assert.Equal(ExitCodes.Unsafe, skipped);
        Assert.Empty(_lab.Writes);

        var (exit, _) = await Run(new FixRequest { Apply = true, VmIds = [103], IncludeRunning = true });

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("x86-64-v3", _lab[103].Cpu);
        Assert.Equal("x86-64-v2-AES", _lab[103].PendingCpu);
        Assert.Matches(@"103\s+gitlab-runner\s+pve2\s+x86-64-v2-AES\s+applied \(pending\)\s+written to \[PENDING\]: waits for the next cold start", _out.ToString());

        var (again, againMessage) = await Run(new FixRequest { VmIds = [103], IncludeRunning = true });
        Assert.Equal(ExitCodes.Unsafe, again);
        Assert.Contains("already waits in [PENDING]", _out.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("nothing the plan can rewrite", againMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failure_stops_the_apply_and_undo_restores_every_changed_VM_except_one_changed_since()
    {
        _lab.BeforeWrite = (_, attempt) => attempt == 4 ? new WriteResult(WriteOutcome.Failed, "500 Internal Server Error") : null;
        var before = (await _lab.GetGuestsAsync(CancellationToken.None)).Guests.ToDictionary(g => g.VmId, g => g.Cpu);

        var (exit, message) = await Run(new FixRequest { Apply = true });

        Assert.Equal(ExitCodes.Unknown, exit);
        Assert.Contains("stopped after 3 of 9 changes", message, StringComparison.Ordinal);
        Assert.Contains("fix --undo ", message, StringComparison.Ordinal);
        var changed = _lab.Writes.Select(w => w.VmId).ToList();
        Assert.Equal(3, changed.Count);
        Assert.Contains("not attempted", _out.ToString(), StringComparison.Ordinal);

        // Someone changes one of the VMs we wrote before the undo: theirs wins.
        var theirs = changed[1];
        _lab.Edit(theirs, g => g with { Cpu = "x86-64-v2" });
        _lab.BeforeWrite = null;

        var (undo, undoMessage) = await Run(new FixRequest { Undo = PlanId(message) });

        Assert.Equal(ExitCodes.Unsafe, undo);
        Assert.Contains($"left alone (changed since, locked or gone): {theirs}", undoMessage, StringComparison.Ordinal);
        foreach (var vmId in changed.Where(id => id != theirs))
        {
            Assert.Equal(before[vmId], _lab[vmId].Cpu);
        }

        Assert.Equal("x86-64-v2", _lab[theirs].Cpu);
        var text = _out.ToString();
        Assert.Matches($@"{theirs}\s+\S+\s+x86-64-v2-AES\s+\S+\s+changed since\s+changed since the fix: cpu is now x86-64-v2; left alone", text);
        Assert.Matches(@"not written\s+the plan's write was refused or failed: nothing to undo", text); // the failed write is marked so
        Assert.Equal(2, _log.Count(e => e.RenderMessage().Contains("undo of plan", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Undo_of_a_VM_that_had_no_cpu_line_deletes_it_again()
    {
        const string planId = "20261123-130501-ab12";
        _lab.Edit(100, g => g with { Cpu = "x86-64-v2-AES" });
        Store.AppendUndo(planId, new FixUndoRecord { VmId = 100, Node = "pve1", OldCpu = null, NewCpu = "x86-64-v2-AES", Time = DateTimeOffset.UnixEpoch });

        var (exit, _) = await Run(new FixRequest { Undo = planId });

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Null(_lab[100].Cpu);
        Assert.Equal([(100, (string?)null)], _lab.Writes.Select(w => (w.VmId, w.Cpu)));
    }

    [Fact]
    public async Task Undo_writes_where_the_VM_is_now_after_a_migration()
    {
        const string planId = "20261123-130501-ab12";
        Store.AppendUndo(planId, new FixUndoRecord { VmId = 103, Node = "pve2", OldCpu = "x86-64-v3", NewCpu = "x86-64-v2-AES", Time = DateTimeOffset.UnixEpoch });
        _lab.Edit(103, g => g with { Cpu = "x86-64-v2-AES", Node = "pve4" });

        var (exit, _) = await Run(new FixRequest { Undo = planId });

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("x86-64-v3", _lab[103].Cpu);
    }

    [Theory]
    [InlineData("../../etc/shadow")]
    [InlineData("20261123-130501-AB12")]
    public async Task Undo_refuses_anything_but_a_plan_id(string id)
    {
        var (exit, message) = await Run(new FixRequest { Undo = id });

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("not a plan id", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Undo_of_an_unknown_plan_says_where_it_looked()
    {
        var (exit, message) = await Run(new FixRequest { Undo = "20261123-130501-ab12" });

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains(_undoDir, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_explicit_target_some_node_cannot_run_is_a_usage_error_naming_the_node()
    {
        var (exit, message) = await Run(new FixRequest { To = "Haswell-noTSX" });

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.StartsWith("--to Haswell-noTSX is not within the baseline: pve1 cannot run it", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_that_cannot_be_read_stops_the_fix_unless_allow_partial()
    {
        var facts = Substitute.For<INodeFactsSource>();
        facts.GetFactsAsync(Arg.Any<Core.Cluster.ClusterMembership>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            var all = _lab.Tree.GetFactsAsync(call.Arg<Core.Cluster.ClusterMembership>(), CancellationToken.None).GetAwaiter().GetResult();
            IReadOnlyList<Core.Cpu.NodeFacts> some = all.Select(f => f.Node == "pve1" ? Core.Cpu.NodeFacts.Unreadable("pve1", "ssh: connection refused", Core.Cpu.FactsSource.Ssh) : f).ToList();
            return Task.FromResult(some);
        });

        var (exit, message) = await Run(new FixRequest { Apply = true }, facts: facts);
        var (partial, _) = await Run(new FixRequest(), settings: Settings() with { AllowPartial = true }, facts: facts);

        Assert.Equal(ExitCodes.Unknown, exit);
        Assert.StartsWith("could not read pve1", message, StringComparison.Ordinal);
        Assert.Empty(_lab.Writes);
        Assert.Equal(ExitCodes.Unsafe, partial);
        Assert.Contains("Fix plan", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_vmid_is_a_usage_error()
    {
        var (exit, message) = await Run(new FixRequest { VmIds = [999] });

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("999", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_from_a_snapshot_is_refused_with_one_clear_line()
    {
        var error = new StringWriter();
        var cli = new GuardCli(new CliEnvironment { Out = new StringWriter(), Error = error, OutputWidth = 240 });

        var exit = await cli.InvokeAsync(["fix", "--from", RepoPaths.LabCluster, "--apply"]);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Equal("proxclmc-guard: fix --apply needs the Proxmox API ([api] url in the config); --from snapshots are read-only", error.ToString().Trim());
    }

    [Fact]
    public async Task Apply_without_a_writer_is_refused()
    {
        var settings = Settings();
        var environment = new CliEnvironment { Out = new StringWriter(), Error = new StringWriter() };
        var sources = Substitute.For<ISourceFactory>();
        sources.Create(Arg.Any<RunSettings>()).Returns(new ClusterSources(_lab.Tree, _lab.Tree, _lab.Tree, "lab", Writer: null));
        var ctx = new CommandContext(environment, settings, Serilog.Core.Logger.None, sources, logVerdicts: false);

        var e = await Assert.ThrowsAsync<UsageException>(() => FixCommand.ExecuteAsync(ctx, new FixRequest { Apply = true }, Store, CancellationToken.None));

        Assert.Contains("needs the Proxmox API", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_plan_file_round_trips()
    {
        var (_, message) = await Run(new FixRequest { FixPhysBits = true });
        var path = Store.PlanPath(PlanId(message));

        var json = File.ReadAllText(path);
        var plan = Store.LoadPlan(PlanId(message))!;

        Assert.Contains("\"schemaVersion\": 1", json, StringComparison.Ordinal);
        Assert.Contains("\"action\": \"change\"", json, StringComparison.Ordinal);
        Assert.Contains("\"oldCpu\": \"x86-64-v2-AES,phys-bits=host\"", json, StringComparison.Ordinal);
        Assert.Contains("\"oldCpu\": \"x86-64-v2-AES,flags=+spec-ctrl;+ssbd\"", json, StringComparison.Ordinal);
        Assert.Contains("\"reason\": \"host passes the node's CPU through; nodes differ: pve1 lacks 29 CPU features", json, StringComparison.Ordinal);
        Assert.Equal("x86-64-v2-AES,phys-bits=43", plan.Entries.Single(e => e.VmId == 119).NewCpu);
        Assert.Equal(_lab[119].Digest, plan.Entries.Single(e => e.VmId == 119).Digest);
        Assert.Equal(10, plan.ChangeEntries().Count());
    }

    [Fact]
    public async Task Json_output_is_one_document_with_the_plan_and_what_apply_did()
    {
        _lab.BeforeWrite = (vmId, _) => vmId == 104 ? new WriteResult(WriteOutcome.Locked, "VM is locked (migrate)") : null;

        var (exit, _) = await Run(new FixRequest { Apply = true, VmIds = [103, 104] }, settings: Settings(format: OutputFormat.Json));

        Assert.Equal(ExitCodes.Unsafe, exit);
        using var doc = System.Text.Json.JsonDocument.Parse(_out.ToString());
        var root = doc.RootElement;
        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(2, root.GetProperty("exitCode").GetInt32());
        Assert.Equal("x86-64-v2-AES", root.GetProperty("plan").GetProperty("targetModel").GetString());
        var results = root.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("vmId").GetInt32());
        Assert.Equal("applied", results[103].GetProperty("outcome").GetString());
        Assert.Equal("x86-64-v3", results[103].GetProperty("oldCpu").GetString());
        Assert.Equal("skipped", results[104].GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Json_output_of_undo_says_what_happened_to_each_VM()
    {
        const string planId = "20261123-130501-ab12";
        Store.AppendUndo(planId, new FixUndoRecord { VmId = 103, Node = "pve2", OldCpu = "x86-64-v3", NewCpu = "x86-64-v2-AES", Time = DateTimeOffset.UnixEpoch });
        Store.AppendUndo(planId, new FixUndoRecord { VmId = 104, Node = "pve4", OldCpu = "x86-64-v4", NewCpu = "x86-64-v2-AES", Time = DateTimeOffset.UnixEpoch });
        _lab.Edit(103, g => g with { Cpu = "x86-64-v2-AES" });
        _lab.Edit(104, g => g with { Cpu = "x86-64-v2" });

        var (exit, _) = await Run(new FixRequest { Undo = planId }, settings: Settings(format: OutputFormat.Json));

        Assert.Equal(ExitCodes.Unsafe, exit);
        using var doc = System.Text.Json.JsonDocument.Parse(_out.ToString());
        var results = doc.RootElement.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("vmId").GetInt32());
        Assert.Equal("restored", results[103].GetProperty("outcome").GetString());
        Assert.Equal("changed-since", results[104].GetProperty("outcome").GetString());
        Assert.Equal("x86-64-v2", results[104].GetProperty("currentCpu").GetString());
        Assert.Equal("x86-64-v3", _lab[103].Cpu);
        Assert.Equal("x86-64-v2", _lab[104].Cpu);
    }

    [Fact]
    public async Task Prometheus_format_is_refused_for_fix()
    {
        var (exit, message) = await Run(new FixRequest(), settings: Settings(format: OutputFormat.Prometheus));

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("table or json", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_torn_last_undo_line_is_ignored_but_a_torn_middle_line_is_an_error_with_its_position()
    {
        const string planId = "20261123-130501-ab12";
        Store.AppendUndo(planId, new FixUndoRecord { VmId = 103, Node = "pve2", OldCpu = "x86-64-v3", NewCpu = "x86-64-v2-AES", Time = DateTimeOffset.UnixEpoch });
        File.AppendAllText(Store.UndoPath(planId), "{\"vmId\":104,\"no");

        Assert.Equal([103], Store.ReadUndo(planId)!.Select(r => r.VmId));

        File.AppendAllText(Store.UndoPath(planId), "\n{\"vmId\":105}\n");
        var e = Assert.Throws<Core.Parsing.ParseException>(() => Store.ReadUndo(planId));
        Assert.Equal(2, e.Error.Line);
    }

    private sealed class ListSink(List<LogEvent> events) : Serilog.Core.ILogEventSink
    {
        public void Emit(LogEvent logEvent) => events.Add(logEvent);
    }
}
