using System.Text.RegularExpressions;
using NSubstitute;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Commands;
using ProxClmc.Guard.Configuration;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Infrastructure.Proxmox;
using ProxClmc.Guard.Infrastructure.Security;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Fix;

/// <summary>fix end to end: against the fake Proxmox serving the lab cluster, through the real API client.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit calls IAsyncLifetime.DisposeAsync, which disposes the client; _out is a StringWriter.")]
public sealed class FixEndToEndTests : IAsyncLifetime
{
    private static readonly int[] LabVms = [100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123];
    private static readonly int[] Intended = [103, 104, 105, 106, 107, 110, 112, 120, 121];

    private readonly string _undoDir = Directory.CreateTempSubdirectory("proxclmc-fix-e2e-").FullName;
    private FakeProxmox _pve = null!;
    private ProxmoxClient _client = null!;
    private StringWriter _out = new();
    private int _width = 240;

    /// <summary>Runs before each write through the API: (vmid, write number) — "someone else" or a failure.</summary>
    private Action<int, int>? _beforeWrite;

    public async Task InitializeAsync()
    {
        // Its own fake and undo folder per test (the xunit lifetime): tests never see each other's writes.
        _pve = await FakePveFixture.StartAsync(RepoPaths.LabCluster);
        _client = new ProxmoxClient(new ProxmoxApiOptions
        {
            Urls = [_pve.Url],
            TokenId = FakeProxmox.TokenId,
            TokenSecret = SecretFile.Read(_pve.TokenFile, "api.token_secret_file"),
            CaFile = _pve.CaCertificatePath,
            Timeout = ServerTimeouts.Answer,
            RetryDelay = TimeSpan.FromMilliseconds(20),
        });

        // A maintenance window: every VM is stopped unless a test starts it.
        foreach (var vmId in LabVms)
        {
            _pve.SetVmStatus(vmId, "stopped");
        }
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _pve.DisposeAsync();
        if (Directory.Exists(_undoDir))
        {
            Directory.Delete(_undoDir, recursive: true);
        }
    }

    private async Task<(int ExitCode, string Message)> Run(FixRequest request)
    {
        _out = new StringWriter();
        var environment = new CliEnvironment { Out = _out, Error = new StringWriter(), OutputWidth = _width };
        var settings = new RunSettings { Config = GuardConfig.Default with { Fix = new FixSettings { UndoDir = _undoDir } }, HasApi = true };
        var writer = new WatchedWriter(new ApiGuestWriter(_client), (vmId, n) => _beforeWrite?.Invoke(vmId, n));
        var factory = Substitute.For<ISourceFactory>();
        factory.Create(Arg.Any<RunSettings>()).Returns(new ClusterSources(
            new ApiMembershipSource(_client), new ApiNodeFactsSource(_client), new ApiGuestSource(_client), _pve.Url, writer));
        var ctx = new CommandContext(environment, settings, Serilog.Core.Logger.None, factory, logVerdicts: false);
        try
        {
            return (await FixCommand.ExecuteAsync(ctx, request, new FileFixStore(_undoDir), CancellationToken.None), "");
        }
        catch (GuardExitException e)
        {
            return (e.ExitCode, e.Message);
        }
    }

    private Dictionary<int, string> Configs() => LabVms.ToDictionary(id => id, _pve.GetConfigText);

    private string? CpuOf(int vmId) => VmConfig.Parse(_pve.GetConfigText(vmId), $"{vmId}.conf").GetValueOrThrow().Main.Get("cpu");

    private static string PlanId(string message) => Regex.Match(message, @"\d{8}-\d{6}-[0-9a-f]{4}").Value;

    [Fact]
    public async Task The_plan_lists_the_intended_guests_apply_changes_exactly_those_and_a_second_fix_plans_nothing()
    {
        var before = Configs();

        var (planExit, planMessage) = await Run(new FixRequest());
        Assert.Equal(ExitCodes.Unsafe, planExit);
        var plan = new FileFixStore(_undoDir).LoadPlan(PlanId(planMessage))!;
        Assert.Equal(Intended, plan.ChangeEntries().Select(e => e.VmId).Order());
        Assert.Equal(before, Configs());

        var (exit, message) = await Run(new FixRequest { Apply = true });

        Assert.Equal(ExitCodes.Unsafe, exit); // 111 (args: -cpu) and 114 (locked) stay
        Assert.Contains("applied 9 of 9 changes", message, StringComparison.Ordinal);
        var after = Configs();
        foreach (var vmId in LabVms)
        {
            if (!Intended.Contains(vmId))
            {
                Assert.Equal(before[vmId], after[vmId]);
                continue;
            }

            // Only the cpu line differs.
            var expected = plan.ChangeEntries().Single(e => e.VmId == vmId).NewCpu;
            Assert.Equal(expected, CpuOf(vmId));
            Assert.Equal(
                before[vmId].Split('\n').Where(l => !l.StartsWith("cpu:", StringComparison.Ordinal)),
                after[vmId].Split('\n').Where(l => !l.StartsWith("cpu:", StringComparison.Ordinal)));
        }

        var (again, againMessage) = await Run(new FixRequest());
        Assert.Equal(ExitCodes.Unsafe, again);
        Assert.StartsWith("nothing the plan can rewrite", againMessage, StringComparison.Ordinal);
        Assert.Contains("111, 114", againMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_change_by_someone_else_between_plan_and_write_survives_and_the_VM_is_replanned()
    {
        var edited = false;
        _beforeWrite = (vmId, _) =>
        {
            if (vmId == 104 && !edited)
            {
                edited = true;
                _pve.SetConfigText(104, _pve.GetConfigText(104) + "onboot: 1\n");
            }
        };

        var (exit, _) = await Run(new FixRequest { Apply = true, VmIds = [103, 104, 105] });

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("onboot: 1\n", _pve.GetConfigText(104), StringComparison.Ordinal);
        Assert.Equal("x86-64-v2-AES", CpuOf(104));
        Assert.Equal(2, _pve.CountRequests("PUT", "/qemu/104/config")); // refused once for the stale digest, then the re-planned write
    }

    [Fact]
    public async Task A_cpu_changed_by_someone_else_between_plan_and_write_is_a_conflict_and_theirs_is_kept()
    {
        var edited = false;
        _beforeWrite = (vmId, _) =>
        {
            if (vmId == 104 && !edited)
            {
                edited = true;
                _pve.SetConfigText(104, _pve.GetConfigText(104).Replace("cpu: x86-64-v4", "cpu: x86-64-v3", StringComparison.Ordinal));
            }
        };

        var (exit, message) = await Run(new FixRequest { Apply = true, VmIds = [103, 104, 105] });

        Assert.Equal(ExitCodes.Unsafe, exit);
        Assert.Contains("conflicts (changed by someone else): 104", message, StringComparison.Ordinal);
        Assert.Equal("x86-64-v3", CpuOf(104));
        Assert.Equal(1, _pve.CountRequests("PUT", "/qemu/104/config"));
        Assert.Equal("x86-64-v2-AES", CpuOf(103));
        Assert.Equal("x86-64-v2-AES", CpuOf(105));

        // Undo restores what the plan wrote; the refused write to 104 is marked as never written, so theirs stays
        // and the undo is complete (exit 0).
        var (undo, undoMessage) = await Run(new FixRequest { Undo = PlanId(message) });
        Assert.True(undo == ExitCodes.Ok, undoMessage);
        Assert.Equal(("x86-64-v3", "x86-64-v3", "Skylake-Server-IBRS"), (CpuOf(103), CpuOf(104), CpuOf(105)));
        Assert.Matches(@"104\s+\S+\s+x86-64-v2-AES\s+\S+\s+not written", _out.ToString());
    }

    [Theory]
    [InlineData(80)]
    [InlineData(120)]
    [InlineData(200)]
    public async Task The_plan_apply_and_undo_tables_fit_the_width(int width)
    {
        _width = width;

        var (exit, _) = await Run(new FixRequest { Apply = true, VmIds = [105, 110] });
        var applied = _out.ToString();
        var (undo, undoMessage) = await Run(new FixRequest { Undo = PlanId(applied) });
        var undone = _out.ToString();

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.True(undo == ExitCodes.Ok, undoMessage);
        var rows = (applied + undone).Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, rows.Count(l => l.StartsWith("  105 ", StringComparison.Ordinal))); // planned, applied, undone
        Assert.All(rows, l => Assert.True(l.Length <= width, $"{l.Length} > {width}: {l}"));
        Assert.Contains(rows, l => l.StartsWith("  110 ", StringComparison.Ordinal) && l.Contains("restored", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_locked_VM_is_skipped_with_its_reason_and_a_running_VM_gets_a_pending_change()
    {
        _pve.SetVmStatus(103, "running");

        var (exit, message) = await Run(new FixRequest { Apply = true, VmIds = [103, 114], IncludeRunning = true });

        Assert.Equal(ExitCodes.Unsafe, exit);
        Assert.Contains("applied 1 of 1 change; still unsafe: 114", message, StringComparison.Ordinal);
        var text = _out.ToString();
        Assert.Matches(@"114\s+db-replica\s+pve4\s+x86-64-v3\s+-\s+-\s+skip\s+locked \(backup\)", text);
        Assert.Matches(@"103\s+gitlab-runner\s+pve2\s+x86-64-v3\s+x86-64-v2-AES\s+x86-64-v3 → x86-64-v2-AES\s+change \(pending\)", text);
        Assert.Matches(@"103\s+gitlab-runner\s+pve2\s+x86-64-v2-AES\s+applied \(pending\)\s+written to \[PENDING\]: waits for the next cold start", text);
        Assert.Equal("x86-64-v3", CpuOf(103));
        Assert.EndsWith("\n[PENDING]\ncpu: x86-64-v2-AES\n", _pve.GetConfigText(103), StringComparison.Ordinal);
        Assert.Contains("lock: backup", _pve.GetConfigText(114), StringComparison.Ordinal);
        Assert.Equal("x86-64-v3", CpuOf(114));
    }

    [Fact]
    public async Task A_failure_after_some_VMs_then_undo_restores_every_changed_VM_but_the_one_changed_since()
    {
        var before = Configs();
        _beforeWrite = (_, n) =>
        {
            if (n == 4)
            {
                _pve.FailNext("/config", 1, 500, "Internal Server Error", "PUT");
            }
        };

        var (exit, message) = await Run(new FixRequest { Apply = true });

        Assert.Equal(ExitCodes.Unknown, exit);
        Assert.Contains("stopped after 3 of 9 changes", message, StringComparison.Ordinal);
        var changed = Intended.Where(id => before[id] != _pve.GetConfigText(id)).ToList();
        Assert.Equal(3, changed.Count);

        var theirs = changed[0];
        _pve.SetConfigText(theirs, _pve.GetConfigText(theirs).Replace("cpu: x86-64-v2-AES", "cpu: x86-64-v2", StringComparison.Ordinal));
        _beforeWrite = null;

        var (undo, undoMessage) = await Run(new FixRequest { Undo = PlanId(message) });

        Assert.Equal(ExitCodes.Unsafe, undo);
        Assert.Contains($"left alone (changed since, locked or gone): {theirs}", undoMessage, StringComparison.Ordinal);
        foreach (var vmId in LabVms.Where(id => id != theirs))
        {
            Assert.Equal(before[vmId], _pve.GetConfigText(vmId));
        }

        Assert.Equal("x86-64-v2", CpuOf(theirs));
        Assert.Matches($@"{theirs}\s+\S+\s+x86-64-v2-AES\s+\S+\s+changed since", _out.ToString());
    }

    [Fact]
    public async Task Undo_of_a_VM_that_had_no_cpu_line_deletes_the_line_again()
    {
        const string planId = "20261123-130501-ab12";
        var original = _pve.GetConfigText(100);
        Assert.Null(CpuOf(100));
        _pve.SetConfigText(100, original.Replace("name: dns-primary\n", "cpu: x86-64-v2-AES\nname: dns-primary\n", StringComparison.Ordinal));
        new FileFixStore(_undoDir).AppendUndo(planId, new Core.Fixes.FixUndoRecord { VmId = 100, Node = "pve1", OldCpu = null, NewCpu = "x86-64-v2-AES", Time = DateTimeOffset.UnixEpoch });

        var (exit, _) = await Run(new FixRequest { Undo = planId });

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Null(CpuOf(100));
    }

    [Fact]
    public async Task From_the_command_line_with_a_config_file_apply_then_undo()
    {
        var config = WriteConfig();
        var before = _pve.GetConfigText(106);

        var (exit, stdout, stderr) = await Cli("fix", "--config", config, "--apply", "--vmid", "106");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("", stderr);
        Assert.Matches(@"106\s+build-host\s+pve2\s+host\s+x86-64-v2-AES\s+host → x86-64-v2-AES\s+change", stdout);
        Assert.Equal("x86-64-v2-AES", CpuOf(106));
        var planId = Regex.Match(stdout, @"Fix plan (\d{8}-\d{6}-[0-9a-f]{4})").Groups[1].Value;

        var (undo, undoOut, _) = await Cli("fix", "--config", config, "--undo", planId);

        Assert.Equal(ExitCodes.Ok, undo);
        Assert.Matches(@"106\s+pve2\s+x86-64-v2-AES\s+host\s+restored", undoOut);
        Assert.Equal(before, _pve.GetConfigText(106));
    }

    [Fact]
    public async Task Every_applied_change_reaches_the_journal_with_the_VM_its_node_and_the_old_and_new_value()
    {
        var config = WriteConfig();
        var directory = Directory.CreateTempSubdirectory("proxclmc-fix-journal-").FullName;
        try
        {
            using var journal = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified) { ReceiveTimeout = 30_000 };
            var socketPath = Path.Combine(directory, "socket");
            journal.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
            journal.ReceiveBufferSize = 4 * 1024 * 1024;

            var (exit, _, _) = await Cli(name => name == "PROXCLMC_GUARD_JOURNAL_SOCKET" ? socketPath : null, "fix", "--config", config, "--apply", "--vmid", "106", "--vmid", "120", "--log-target", "journal");

            Assert.Equal(ExitCodes.Ok, exit);
            var changes = new Dictionary<string, string>();
            var buffer = new byte[65536];
            journal.ReceiveTimeout = 2_000;
            try
            {
                while (true)
                {
                    var datagram = System.Text.Encoding.UTF8.GetString(buffer, 0, journal.Receive(buffer));
                    var vmid = Regex.Match(datagram, "^PROXCLMC_VMID=(\\d+)$", RegexOptions.Multiline);
                    if (vmid.Success && datagram.Contains("PROXCLMC_OLD_CPU=", StringComparison.Ordinal))
                    {
                        changes[vmid.Groups[1].Value] = datagram;
                    }
                }
            }
            catch (System.Net.Sockets.SocketException)
            {
                // No more datagrams: the run has finished logging.
            }

            Assert.Equal(["106", "120"], changes.Keys.Order());
            Assert.Contains("PROXCLMC_NODE=pve2\n", changes["106"], StringComparison.Ordinal);
            Assert.Contains("PROXCLMC_OLD_CPU=host\n", changes["106"], StringComparison.Ordinal);
            Assert.Contains("PROXCLMC_CPU=x86-64-v2-AES\n", changes["106"], StringComparison.Ordinal);
            Assert.Contains("PROXCLMC_OLD_CPU=EPYC-Rome\n", changes["120"], StringComparison.Ordinal);
            Assert.Contains("SYSLOG_IDENTIFIER=proxclmc-guard\n", changes["120"], StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_plan_with_filters_prints_the_command_that_applies_exactly_the_planned_VMs_and_values()
    {
        var config = WriteConfig();
        var before = Configs();

        var (planExit, planOut, planError) = await Cli("fix", "--config", config, "--vmid", "103", "--vmid", "110", "--to", "kvm64");

        Assert.True(planExit == ExitCodes.Unsafe, planError);
        Assert.Equal(before, Configs());
        Assert.Matches(@"103\s+gitlab-runner\s+pve2\s+x86-64-v3\s+kvm64\s+x86-64-v3 → kvm64\s+change", planOut);
        var command = Regex.Match(planError, @"run `(proxclmc-guard fix --apply \d{8}-\d{6}-[0-9a-f]{4})`");
        Assert.True(command.Success, planError);

        // Exactly what an administrator pastes (with their --config): no filters, no --to.
        var pasted = command.Groups[1].Value.Split(' ').Skip(1).Concat(["--config", config]).ToArray();
        var (exit, output, error) = await Cli(pasted);

        Assert.True(exit == ExitCodes.Ok, error + output);
        var after = Configs();
        var plan = new FileFixStore(_undoDir).LoadPlan(PlanId(command.Value))!;
        Assert.Equal([103, 110], plan.ChangeEntries().Select(e => e.VmId).Order());
        Assert.Equal("--vmid 103 --vmid 110 --to kvm64", plan.Request);
        foreach (var entry in plan.ChangeEntries())
        {
            Assert.StartsWith("kvm64", entry.NewCpu, StringComparison.Ordinal);
            Assert.Equal(entry.NewCpu, CpuOf(entry.VmId));
        }

        foreach (var vmId in LabVms.Where(id => id is not 103 and not 110))
        {
            Assert.Equal(before[vmId], after[vmId]);
        }

        Assert.Equal(2, _pve.CountRequests("PUT", "/config"));

        // A plan is applied once.
        var (again, _, againError) = await Cli(pasted);
        Assert.Equal(ExitCodes.Usage, again);
        Assert.Contains("this plan was applied already", againError, StringComparison.Ordinal);
        Assert.Equal(2, _pve.CountRequests("PUT", "/config"));
    }

    [Fact]
    public async Task A_plan_older_than_plan_max_age_seconds_is_refused_and_writes_nothing()
    {
        var config = WriteConfig();
        var (_, _, planError) = await Cli("fix", "--config", config, "--vmid", "103");
        var planId = PlanId(planError);

        var later = new FixedClock(DateTimeOffset.UtcNow.AddSeconds(3601));
        var (exit, _, error) = await Cli(_ => null, later, "fix", "--config", config, "--apply", planId);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains($"--apply {planId}: the plan is 60 minutes old, older than fix.plan_max_age_seconds (60 minutes); make a new plan", error, StringComparison.Ordinal);
        Assert.Equal(0, _pve.CountRequests("PUT", "/config"));
    }

    [Fact]
    public async Task A_plan_made_against_another_cluster_is_refused_and_writes_nothing()
    {
        var config = WriteConfig();
        var (_, _, planError) = await Cli("fix", "--config", config, "--vmid", "103");
        var planId = PlanId(planError);
        var planFile = Path.Combine(_undoDir, planId + ".plan.json");
        var text = File.ReadAllText(planFile);
        Assert.Contains("\"cluster\": \"lab\"", text, StringComparison.Ordinal);
        File.WriteAllText(planFile, text.Replace("\"cluster\": \"lab\"", "\"cluster\": \"prod\"", StringComparison.Ordinal));

        var (exit, _, error) = await Cli("fix", "--config", config, "--apply", planId);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains($"--apply {planId}: the plan was made against cluster 'prod', this is cluster 'lab'", error, StringComparison.Ordinal);
        Assert.Equal(0, _pve.CountRequests("PUT", "/config"));
    }

    [Fact]
    public async Task Apply_with_a_plan_id_takes_no_filters()
    {
        var config = WriteConfig();

        var (exit, _, error) = await Cli("fix", "--config", config, "--apply", "20261123-130501-ab12", "--vmid", "103");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("takes only the plan id", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_from_a_snapshot_leaves_the_file_system_unchanged_unless_asked_to_save_the_plan()
    {
        var config = WriteConfig();
        var before = Listing(_undoDir);

        var (exit, _, error) = await Cli("fix", "--config", config, "--from", RepoPaths.LabCluster);

        Assert.Equal(ExitCodes.Unsafe, exit);
        Assert.Contains("a dry run from --from: nothing saved", error, StringComparison.Ordinal);
        Assert.Equal(before, Listing(_undoDir));

        var file = Path.Combine(_undoDir, "reviewed-plan.json");
        var (saved, _, savedError) = await Cli("fix", "--config", config, "--from", RepoPaths.LabCluster, "--save-plan", file);

        Assert.Equal(ExitCodes.Unsafe, saved);
        Assert.Contains($"nothing saved but {file}", savedError, StringComparison.Ordinal);
        Assert.Equal(before.Append(file).Order(StringComparer.Ordinal), Listing(_undoDir));
        Assert.Contains("\"entries\"", File.ReadAllText(file), StringComparison.Ordinal);
    }

    private static string[] Listing(string directory) =>
        Directory.GetFileSystemEntries(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

    private string WriteConfig() => FakePveFixture.WriteConfig(_pve, _undoDir, extra: $"[fix]\nundo_dir = \"{_undoDir}\"");

    private static Task<(int ExitCode, string Out, string Error)> Cli(params string[] args) => Cli(_ => null, args);

    private static Task<(int ExitCode, string Out, string Error)> Cli(Func<string, string?> environment, params string[] args) => Cli(environment, TimeProvider.System, args);

    private static async Task<(int ExitCode, string Out, string Error)> Cli(Func<string, string?> environment, TimeProvider clock, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var cli = new GuardCli(new CliEnvironment { Out = output, Error = error, OutputWidth = 240, GetEnvironmentVariable = environment, HostName = () => "pve1", Clock = clock });
        var exit = await cli.InvokeAsync(args);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>The real API writer, with a hook just before each write reaches the API.</summary>
    private sealed class WatchedWriter(IGuestWriter inner, Action<int, int> beforeWrite) : IGuestWriter
    {
        private int _writes;

        public Task<WriteResult> SetCpuAsync(string node, int vmId, string newCpu, string digest, CancellationToken cancellationToken)
        {
            beforeWrite(vmId, ++_writes);
            return inner.SetCpuAsync(node, vmId, newCpu, digest, cancellationToken);
        }

        public Task<WriteResult> DeleteCpuAsync(string node, int vmId, string digest, CancellationToken cancellationToken)
        {
            beforeWrite(vmId, ++_writes);
            return inner.DeleteCpuAsync(node, vmId, digest, cancellationToken);
        }

        public Task<GuestConfig?> ReadGuestAsync(string node, int vmId, CancellationToken cancellationToken) =>
            inner.ReadGuestAsync(node, vmId, cancellationToken);
    }
}
