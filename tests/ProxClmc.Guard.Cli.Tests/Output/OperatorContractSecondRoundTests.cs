using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Output;

/// <summary>
/// What a new administrator still tripped over, each through the real command line: undo of a value Proxmox refuses,
/// plans that show their change, filters and unreadable clusters, check's warnings, the options that were ignored,
/// the terminal left alone, and the messages.
/// </summary>
public sealed class OperatorContractSecondRoundTests : FakePveTest
{
    private static readonly string Lab = GuardRun.Lab;

    private string UndoConfig() => WriteConfig(extra: $"[fix]\nundo_dir = \"{Dir}/undo\"");

    private static string PlanId(string stdout) => Regex.Match(stdout, @"Fix plan (\d{8}-\d{6}-[0-9a-f]{4})").Groups[1].Value;

    // ---- 1: undo of a value Proxmox refuses --------------------------------------------------------------------

    [Fact]
    public void Undo_of_a_still_pending_change_reverts_it_even_when_the_old_value_is_one_Proxmox_refuses()
    {
        Pve.SetVmStatus(121, "running");
        var config = UndoConfig();

        var plan = GuardRun.Run("fix", "--vmid", "121", "--include-running", "--config", config);
        var apply = GuardRun.Run("fix", "--apply", PlanId(plan.Out), "--config", config);
        var pending = Pve.GetConfigText(121);
        var undo = GuardRun.Run("fix", "--undo", PlanId(plan.Out), "--config", config);

        Assert.Equal(2, plan.Exit);
        Assert.Contains("VM 121: the old value cannot be written back through Proxmox's API (built-in cputype 'Haswel' is not defined)", plan.Out, StringComparison.Ordinal);
        Assert.Equal(0, apply.Exit);
        Assert.Contains("[PENDING]\ncpu: x86-64-v2-AES", pending, StringComparison.Ordinal);
        Assert.True(undo.Exit == 0, undo.ToString());
        Assert.Matches(@"121\s+\S+\s+x86-64-v2-AES\s+Haswel\s+restored\s+pending change reverted \(revert=cpu\)", undo.Out);
        Assert.Equal("", undo.Error);
        var after = Pve.GetConfigText(121);
        Assert.Contains("cpu: Haswel\n", after, StringComparison.Ordinal);
        Assert.DoesNotContain("[PENDING]", after, StringComparison.Ordinal);
    }

    [Fact]
    public void Undo_of_a_written_value_whose_old_value_Proxmox_refuses_says_what_ran_before_and_the_command_exit_1()
    {
        Pve.SetVmStatus(121, "stopped");
        var config = UndoConfig();
        var plan = GuardRun.Run("fix", "--vmid", "121", "--config", config);
        var apply = GuardRun.Run("fix", "--apply", PlanId(plan.Out), "--config", config);

        var undo = GuardRun.Run("fix", "--undo", PlanId(plan.Out), "--config", config);

        Assert.Equal(0, apply.Exit);
        Assert.Equal(1, undo.Exit);
        Assert.Matches(@"121\s+\S+\s+x86-64-v2-AES\s+Haswel\s+NOT RESTORABLE", undo.Out);
        var line = Assert.Single(undo.ErrorLines);
        Assert.StartsWith("proxclmc-guard: 0 of 1 VM restored; not restorable: VM 121: Proxmox refuses the old value (built-in cputype 'Haswel' is not defined)", line, StringComparison.Ordinal);
        Assert.Contains("Proxmox ignored it and ran kvm64, which `qm set 121 --delete cpu` brings back", line, StringComparison.Ordinal);
        Assert.Contains("cpu: x86-64-v2-AES\n", Pve.GetConfigText(121), StringComparison.Ordinal);
    }

    // ---- 2: the plan shows what differs ----------------------------------------------------------------------

    [Fact]
    public void A_plan_at_120_columns_shows_the_part_of_the_cpu_value_that_changes()
    {
        var result = GuardRun.RunAtWidth(120, "fix", "--from", Lab, "--vmid", "110", "--vmid", "112", "--vmid", "119", "--fix-phys-bits");

        Assert.Equal(2, result.Exit);
        Assert.Contains(result.OutLines, l => l.Contains("Change", StringComparison.Ordinal) && l.Contains("Reason", StringComparison.Ordinal));
        Assert.Matches(@"\n  110 .*drops \+ssbd\s+change", result.Out);
        Assert.Matches(@"\n  112 .*drops \+hv-evmcs\s+change", result.Out);
        Assert.Matches(@"\n  119 .*phys-bits=host → 43\s+change", result.Out);
        Assert.All(result.OutLines, l => Assert.True(l.Length <= 120, l));
    }

    // ---- 3: filters that together match nothing -----------------------------------------------------------

    [Fact]
    public void Filters_that_each_match_but_together_match_nothing_are_a_usage_error()
    {
        var result = GuardRun.Run("scan", "--from", Lab, "--vmid", "103", "--node", "pve1");

        Assert.Equal(64, result.Exit);
        Assert.Equal("", result.Out);
        Assert.Equal("proxclmc-guard: --vmid 103 --node pve1: no guest matches these filters together (VM 103 is on pve2)\n", result.Error);
    }

    // ---- 4: no node read ---------------------------------------------------------------------------------

    [Fact]
    public void With_no_node_read_every_verb_exits_3_whatever_allow_partial_says_and_no_guest_is_ok()
    {
        using var tree = new TempTree().CopyFrom(Lab);
        foreach (var cpuinfo in Directory.GetFiles(tree.PathOf("nodes"), "cpuinfo", SearchOption.AllDirectories))
        {
            File.Delete(cpuinfo);
        }

        foreach (var args in new[] { new[] { "baseline", "--list-only" }, ["scan"], ["check", "103"], ["check", "--evacuate", "pve2"], ["fix"] })
        {
            var result = GuardRun.Run([.. args, "--from", tree.Root, "--allow-partial"]);

            Assert.True(result.Exit == 3, string.Join(' ', args) + "\n" + result);
            Assert.Equal("", result.Out);
            Assert.StartsWith("proxclmc-guard: no node could be read (pve1: ", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Check_with_every_node_left_out_exits_3_in_one_line_without_a_stack_trace()
    {
        var result = GuardRun.Run("check", "106", "--from", Lab, "--without-node", "pve1", "--without-node", "pve2", "--without-node", "pve3", "--without-node", "pve4");

        Assert.Equal(3, result.Exit);
        Assert.Equal("proxclmc-guard: no node could be read: --without-node left out every node of the cluster\n", result.Error);
        Assert.DoesNotContain("   at ", result.Out + result.Error, StringComparison.Ordinal);
    }

    // ---- 5: check and the hook warn as scan does -----------------------------------------------------------

    [Fact]
    public void Check_gives_scans_warnings_for_a_pending_change_and_a_RAM_snapshot_and_exits_1()
    {
        var pending = GuardRun.Run("check", "102", "--from", Lab);
        var snapshot = GuardRun.Run("check", "117", "--from", Lab, "--target", "pve1");

        Assert.Equal(1, pending.Exit);
        Assert.Matches(@"pve1\s+can run\s+ok \(current node\)\n\s+warning: pending: cpu becomes x86-64-v3 at the next cold start \(exceeds-baseline\)", pending.Out);
        Assert.Equal("proxclmc-guard: VM 102 can run on pve1, but: pending: cpu becomes x86-64-v3 at the next cold start (exceeds-baseline)\n", pending.Error);
        Assert.Equal(1, snapshot.Exit);
        Assert.Matches(@"pve1\s+can run\s+ok\n\s+warning: RAM snapshot 'before-upgrade' rolls back with -cpu Skylake-Server-IBRS: ", snapshot.Out);
    }

    [Fact]
    public void The_hook_allows_a_migration_with_a_RAM_snapshot_the_target_cannot_resume_and_logs_the_note()
    {
        using var tree = new TempTree();
        tree.CopyFile(Path.Combine(Lab, "nodes", "pve4", "qemu-server", "117.conf"), "pve", "nodes", "pve-haswell", "qemu-server", "117.conf");
        var config = tree.Write(
            $"[cluster]\npve_root = \"{tree.PathOf("pve")}\"\nlocal_node = \"pve-haswell\"\n\n[facts]\nlocal_cpuinfo = \"{GuardRun.CpuInfo("intel-xeon-e5-2680v3-haswell.txt")}\"\n",
            "proxclmc-guard.toml");

        var result = GuardRun.RunWith(new Dictionary<string, string> { ["PVE_MIGRATED_FROM"] = "pve-skylake" }, "hook", "117", "pre-start", "--config", config);

        Assert.Equal(0, result.Exit);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("proxclmc-guard: warning: VM 117 on pve-haswell: allowing migration of VM 117 from pve-skylake to pve-haswell, but: RAM snapshot 'before-upgrade' rolls back with -cpu Skylake-Server-IBRS", line, StringComparison.Ordinal);
    }

    // ---- 6: evacuate onto the named node -------------------------------------------------------------------

    [Fact]
    public void Evacuate_with_target_plans_onto_that_node_only_and_an_unknown_target_is_a_usage_error()
    {
        var onto = GuardRun.Run("check", "--evacuate", "pve4", "--target", "pve1", "--from", Lab);
        var unknown = GuardRun.Run("check", "--evacuate", "pve4", "--target", "pve9", "--from", Lab);

        Assert.StartsWith("Evacuating pve4: 5 VMs, candidate nodes pve1\n", onto.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("pve2", onto.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("pve3", onto.Out, StringComparison.Ordinal);
        Assert.Matches(@"114\s+db-replica\s+x86-64-v3\s+-> NOWHERE", onto.Out);
        Assert.Equal(64, unknown.Exit);
        Assert.Equal("", unknown.Out);
        Assert.Equal("proxclmc-guard: --target pve9: no such node (pve1, pve2, pve3, pve4)\n", unknown.Error);
    }

    // ---- 7, 15: hook attach ------------------------------------------------------------------------------

    private static (TempTree Tree, string Config, string Script) AttachSetup()
    {
        var tree = new TempTree().CopyFrom(Lab);
        var config = tree.Write($"""
            [cluster]
            pve_root = "{tree.Root}"
            corosync_conf = "{tree.PathOf("corosync.conf")}"
            local_node = "pve1"

            [facts]
            source = "local"
            cache_file = "{tree.PathOf("facts-cache.json")}"
            """, "proxclmc-guard.toml");
        var script = tree.Write("#!/bin/sh\nexec /usr/bin/proxclmc-guard hook \"$1\" \"$2\"\n", "share", "proxclmc-guard-hook");
        return (tree, config, script);
    }

    [Fact]
    public void Hook_attach_to_a_snippets_dir_that_does_not_exist_is_a_usage_error_and_creates_nothing()
    {
        var (tree, config, script) = AttachSetup();
        using var _ = tree;
        var missing = tree.PathOf("nonexistent", "dir");

        var result = GuardRun.Run("hook", "attach", "--vmid", "100", "--config", config, "--script", script, "--snippets-dir", missing);

        Assert.Equal(64, result.Exit);
        Assert.Equal("", result.Out);
        Assert.Equal($"proxclmc-guard: --snippets-dir {missing}: folder does not exist (enable the snippets content type on storage 'local', which creates it)\n", result.Error);
        Assert.False(Directory.Exists(tree.PathOf("nonexistent")));
    }

    [Fact]
    public void Hook_attach_without_pvesh_cannot_tell_exits_3_once_and_names_a_container_it_skips()
    {
        var (tree, config, script) = AttachSetup();
        using var _ = tree;
        var snippets = Directory.CreateDirectory(tree.PathOf("snippets")).FullName;

        // This machine has no /usr/bin/pvesh: the real setter cannot ask any node.
        Assert.False(File.Exists("/usr/bin/pvesh"));
        var result = GuardRun.Run("hook", "attach", "--vmid", "100", "--vmid", "200", "--config", config, "--script", script, "--snippets-dir", snippets);

        Assert.Equal(3, result.Exit);
        Assert.Matches(@"200\s+pve\d\s+not attached: a container", result.Out);
        Assert.DoesNotContain("missing on", result.Out, StringComparison.Ordinal);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("proxclmc-guard: cannot tell whether local:snippets/proxclmc-guard-hook is available on pve1, pve2, pve3, pve4 (", line, StringComparison.Ordinal);
        Assert.EndsWith("); no VM attached", line, StringComparison.Ordinal);
    }

    // ---- 8: facts --from ----------------------------------------------------------------------------------

    [Fact]
    public void Facts_from_a_snapshot_is_refused_instead_of_printing_this_machine()
    {
        var result = GuardRun.Run("facts", "--from", Lab);

        Assert.Equal(64, result.Exit);
        Assert.Equal("", result.Out);
        Assert.Equal($"proxclmc-guard: facts --from {Lab}: facts describes this node only; for the nodes of a snapshot use `proxclmc-guard baseline --from {Lab}` (-v for every flag)\n", result.Error);
    }

    // ---- 9: facts.source = "local" behaves as the README's table says --------------------------------------

    [Fact]
    public void Facts_source_local_reads_this_node_only_and_the_other_nodes_are_not_read_as_the_readme_says()
    {
        var (tree, config, _) = AttachSetup();
        using var __ = tree;
        File.AppendAllText(config, $"\nlocal_cpuinfo = \"{GuardRun.CpuInfo("intel-xeon-e5-2680v3-haswell.txt")}\"\n");

        var strict = GuardRun.Run("baseline", "--config", config);
        var partial = GuardRun.Run("baseline", "--config", config, "--allow-partial", "--list-only");

        Assert.Equal(3, strict.Exit);
        Assert.Contains("UNREADABLE: no SSH or API facts", strict.Out, StringComparison.Ordinal);
        Assert.EndsWith("pve4 (no SSH or API facts source configured) (use --allow-partial for a baseline of the other nodes)", strict.ErrorLines[^1], StringComparison.Ordinal);
        Assert.Equal(1, partial.Exit);
        Assert.Equal("x86-64-v3\n", partial.Out);
        Assert.Contains("| `local` | this node only: the other nodes are listed as not read, so the answer is partial (exit 3, or this node's answer with `--allow-partial`) |",
            File.ReadAllText(RepoPaths.Combine("README.md")), StringComparison.Ordinal);
    }

    // ---- 10: a report that cannot be written ------------------------------------------------------------

    [Fact]
    public void A_report_that_cannot_be_written_names_its_key_file_and_missing_folder()
    {
        var report = Path.Combine(Dir, "missing", "report.json");
        var config = Path.Combine(Dir, "report.toml");
        File.WriteAllText(config, $"[report]\njson_file = \"{report}\"\n");

        var result = GuardRun.Run("scan", "--from", Lab, "--config", config, "--write-reports", "--format", "json");

        Assert.Equal(3, result.Exit);
        Assert.Equal($"proxclmc-guard: [report] json_file = \"{report}\": folder {Path.Combine(Dir, "missing")} does not exist\n", result.Error);
        Assert.False(Directory.Exists(Path.Combine(Dir, "missing")));
    }

    // ---- 11: the terminal is left alone -----------------------------------------------------------------

    [Fact]
    public async Task A_run_on_a_terminal_does_not_switch_it_into_keypad_mode()
    {
        // util-linux `script` gives the real binary a terminal on stdin; its output goes to /dev/null as in the report.
        var typescript = Path.Combine(Dir, "typescript");
        var command = $"dotnet exec {Path.Combine(AppContext.BaseDirectory, "proxclmc-guard.dll")} scan --from {Lab} >/dev/null 2>&1; echo done";
        var start = new ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in new[] { "-qec", command, typescript })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        var bytes = await File.ReadAllTextAsync(typescript);
        Assert.Contains("done", await stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[?1h", bytes, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b=", bytes, StringComparison.Ordinal);
    }

    // ---- 12, 13: reasons whole, and only features a guest can see -------------------------------------------

    [Fact]
    public void Check_json_and_verbose_give_whole_reasons_and_host_guests_get_their_missing_features()
    {
        var json = GuardRun.Run("check", "106", "--from", Lab, "--format", "json");
        var verbose = GuardRun.Run("check", "--evacuate", "pve4", "--from", Lab, "-v");

        using var document = JsonDocument.Parse(json.Out);
        var pve3 = document.RootElement.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("node").GetString() == "pve3");
        var reason = pve3.GetProperty("reason").GetString()!;
        var missing = pve3.GetProperty("missingFlags").EnumerateArray().Select(f => f.GetString()!).ToList();
        Assert.DoesNotContain(" more", reason, StringComparison.Ordinal);
        Assert.NotEmpty(missing);
        Assert.Equal($"host CPU differs: pve3 lacks {string.Join(", ", missing)} that pve2 has", reason);
        Assert.DoesNotContain(" more", verbose.Out, StringComparison.Ordinal);
        Assert.Contains("not pve1: lacks abm, avx2, bmi1, bmi2, f16c, fma, movbe", verbose.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_guests_differences_name_only_features_a_guest_can_see()
    {
        var json = GuardRun.Run("check", "106", "--from", Lab, "--format", "json");

        using var document = JsonDocument.Parse(json.Out);
        foreach (var node in document.RootElement.GetProperty("nodes").EnumerateArray())
        {
            var named = node.GetProperty("missingFlags").EnumerateArray().Select(f => f.GetString()).ToList();
            foreach (var hostOnly in new[] { "acpi", "dts", "est", "monitor", "ds_cpl", "dtes64", "dca", "tm", "tm2", "pbe", "smx", "xtpr", "vnmi" })
            {
                Assert.DoesNotContain(hostOnly, named);
                Assert.DoesNotMatch($@"\b{hostOnly}\b", node.GetProperty("reason").GetString()!);
            }
        }
    }

    // ---- 14: messages -----------------------------------------------------------------------------------

    [Fact]
    public void Hook_attach_help_shows_attach_as_it_is_typed()
    {
        var help = GuardRun.Run("hook", "attach", "--help");
        var entry = GuardRun.Run("hook", "--help");

        Assert.Equal(0, help.Exit);
        Assert.Contains(help.OutLines, l => l.EndsWith(" hook attach [options]", StringComparison.Ordinal));
        Assert.DoesNotContain("<vmid>", help.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Arguments:", help.OutLines);
        Assert.Contains("  --snippets-dir <dir>", help.Out, StringComparison.Ordinal);
        // The entry point Proxmox calls keeps its arguments.
        Assert.Contains(entry.OutLines, l => l.EndsWith(" hook <vmid> <phase> [command] [options]", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("fix --strategy placment", "--strategy: 'placment' is not one of cpu, placement; did you mean placement?")]
    [InlineData("scan --form json", "unknown option '--form' for scan; did you mean --format or --from?")]
    [InlineData("check 99999999999", "check: '99999999999' is out of range (too large for a VM id or count)")]
    [InlineData("snapshot", "snapshot needs --out <dir>")]
    [InlineData("hook", "hook needs <vmid> <phase> (or: hook attach)")]
    public void Command_line_mistakes_read_as_our_sentences(string command, string message)
    {
        var result = GuardRun.Run(command.Split(' '));

        Assert.Equal(64, result.Exit);
        Assert.Equal(2, result.ErrorLines.Count);
        Assert.Equal($"proxclmc-guard: {message}", result.ErrorLines[0]);
        Assert.StartsWith("Try 'proxclmc-guard", result.ErrorLines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_model_for_to_gets_a_did_you_mean_and_a_file_for_from_is_named_as_a_file()
    {
        var to = GuardRun.Run("fix", "--from", Lab, "--to", "Haswel");
        var readme = RepoPaths.Combine("README.md");
        var from = GuardRun.Run("scan", "--from", readme);

        Assert.Equal(64, to.Exit);
        Assert.Equal("proxclmc-guard: --to 'Haswel' is not a CPU model Proxmox VE knows; did you mean Haswell?\n", to.Error);
        Assert.Equal(3, from.Exit);
        Assert.Equal($"proxclmc-guard: {readme}: a file, not a folder (expected an offline snapshot folder or /etc/pve)\n", from.Error);
    }

    [Fact]
    public void An_assume_node_file_that_is_a_FIFO_is_named_with_what_it_is()
    {
        var fifo = Path.Combine(Dir, "cpuinfo.fifo");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            mkfifo.WaitForExit();
        }

        var result = GuardRun.Run("baseline", "--from", Lab, "--assume-node", $"pve5={fifo}");

        Assert.Equal(64, result.Exit);
        Assert.Equal($"proxclmc-guard: --assume-node {fifo}: cannot read it (is a FIFO, not a regular file; refusing to read it)\n", result.Error);
    }

    [Fact]
    public void Log_target_journal_without_journald_says_no_journald_listens_there()
    {
        var socket = Path.Combine(Dir, "no-journal.socket");

        var result = GuardRun.RunWith(new Dictionary<string, string> { ["PROXCLMC_GUARD_JOURNAL_SOCKET"] = socket }, "scan", "--from", Lab, "--vmid", "103", "--log-target", "journal");

        Assert.Contains($"proxclmc-guard: cannot write to the journal at {socket} (no journald listens there: is systemd-journald running?); log events are dropped", result.ErrorLines);
        Assert.DoesNotContain("Cannot assign", result.Error, StringComparison.Ordinal);
    }

    // ---- 16: the daemon says it runs -------------------------------------------------------------------------

    [Fact]
    public async Task The_daemon_at_default_verbosity_logs_its_start_and_one_summary_per_scan()
    {
        var config = Path.Combine(Dir, "daemon.toml");
        File.WriteAllText(config, $"[report]\njson_file = \"{Dir}/report.json\"\nprometheus_textfile = \"{Dir}/report.prom\"\n\n[daemon]\ninterval_seconds = 3600\n");
        var error = new StringWriter { NewLine = "\n" };
        var shared = TextWriter.Synchronized(error);
        var cli = new GuardCli(new CliEnvironment { Out = TextWriter.Null, Error = shared, HostName = () => "testhost", GetEnvironmentVariable = _ => null });
        using var stop = new CancellationTokenSource();
        var run = cli.InvokeAsync(["daemon", "--from", Lab, "--config", config, "--log-target", "console"], stop.Token);

        string Text()
        {
            lock (shared)
            {
                return error.ToString();
            }
        }

        // The first scan ends with its summary and its reports; the daemon then waits an hour, so it is stopped here.
        var report = Path.Combine(Dir, "report.json");
        for (var i = 0; i < 1200 && !(Text().Contains("Scan finished", StringComparison.Ordinal) && File.Exists(report)) && !run.IsCompleted; i++)
        {
            await Task.Delay(100);
        }

        await stop.CancelAsync();
        await run;

        var lines = Text().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("proxclmc-guard: info: Daemon started, scanning every 3600 s", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("proxclmc-guard: info: Scan finished: cluster baseline x86-64-v2-AES; 25 guests: ", StringComparison.Ordinal));
        Assert.True(File.Exists(report));
    }

    // ---- 17: small things -----------------------------------------------------------------------------------

    [Fact]
    public void The_readme_says_which_verdicts_the_lab_covers_and_the_lab_covers_exactly_those()
    {
        var result = GuardRun.Run("scan", "--from", Lab, "--format", "json");

        using var document = JsonDocument.Parse(result.Out);
        var seen = document.RootElement.GetProperty("guests").EnumerateArray().Select(g => g.GetProperty("verdict").GetString()!).ToHashSet();
        var all = Enum.GetValues<Verdict>().Select(v => v.Name()).ToHashSet();
        Assert.Equal(all.Where(v => v != "invalid-config").Order(), seen.Order());
        Assert.Contains("with 25 guests covering every verdict except `invalid-config`", File.ReadAllText(RepoPaths.Combine("README.md")).ReplaceLineEndings(" "), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_fake_proxmox_answers_help_with_its_usage_and_exit_0()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ProxClmc.Guard.FakePve.dll"));
        start.ArgumentList.Add("--help");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        Assert.StartsWith("usage: fake-pve --snapshot <dir>", await stdout, StringComparison.Ordinal);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void Without_corosync_conf_the_header_says_this_host_alone_was_read()
    {
        var config = Path.Combine(Dir, "standalone.toml");
        var cpuinfo = GuardRun.CpuInfo("intel-xeon-e5-2680v3-haswell.txt");
        File.WriteAllText(config, $"[cluster]\ncorosync_conf = \"{Dir}/no-corosync.conf\"\npve_root = \"{Dir}/no-pve\"\n\n[facts]\nsource = \"local\"\nlocal_cpuinfo = \"{cpuinfo}\"\ncache_file = \"{Dir}/cache.json\"\n");

        var result = GuardRun.Run("baseline", "--config", config);

        Assert.Equal(0, result.Exit);
        Assert.Contains($"read from {cpuinfo} of testhost (no corosync.conf: a one-node cluster; not a Proxmox VE node)", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("SSH", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void In_the_evacuation_table_a_name_as_wide_as_its_column_stands_apart_from_the_cpu()
    {
        var result = GuardRun.Run("check", "--evacuate", "pve4", "--from", Lab);

        Assert.Matches(@"\n  105     sap-hana-test  Skylake-Server-IBRS", result.Out);
    }
}
