using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Facts;
using ProxClmc.Guard.Application.Hook;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Hook;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Infrastructure.Snapshot;
using Serilog;
using Serilog.Events;

namespace ProxClmc.Guard.Cli.Tests.Hook;

/// <summary>
/// Proxmox runs <c>hook &lt;vmid&gt; pre-start</c> on the migration target with <c>PVE_MIGRATED_FROM=&lt;source&gt;</c>;
/// a non-zero exit cancels the migration. Given an /etc/pve-like tree (configs only, no cpuinfo, as on a real node)
/// and this node's /proc/cpuinfo from the corpus, the hook answers ...
/// </summary>
public sealed class HookTests : IDisposable
{
    private const string Target = "pve-haswell";
    private const string Source = "pve-skylake";

    private static readonly string HaswellCpuInfo = GuardRun.CpuInfo("intel-xeon-e5-2680v3-haswell.txt");
    private static readonly string SkylakeCpuInfo = GuardRun.CpuInfo("intel-xeon-gold-6132-skylake-sp.txt");

    private readonly TempTree _tree = new();

    public HookTests()
    {
        Place(105, "skylake-server-ibrs.conf");
        Place(100, "kvm64-default.conf");
        Place(106, "host.conf");
        Directory.CreateDirectory(_tree.PathOf("pve", "nodes", Source, "qemu-server"));
    }

    public void Dispose() => _tree.Dispose();

    private void Place(int vmid, string fixture) =>
        _tree.CopyFile(GuardRun.Fixture("hook", fixture), "pve", "nodes", Target, "qemu-server", $"{vmid}.conf");

    private string Config(string extra = "") => _tree.Write(
        $"[cluster]\npve_root = \"{_tree.PathOf("pve")}\"\nlocal_node = \"{Target}\"\n\n[facts]\nlocal_cpuinfo = \"{HaswellCpuInfo}\"\n{extra}",
        "proxclmc-guard.toml");

    private CliResult Hook(int vmid, string? migratedFrom, string extraConfig = "")
    {
        var environment = migratedFrom is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["PVE_MIGRATED_FROM"] = migratedFrom };
        return GuardRun.RunWith(environment, "hook", vmid.ToString(System.Globalization.CultureInfo.InvariantCulture), "pre-start", "--config", Config(extraConfig));
    }

    [Fact]
    public void A_Skylake_Server_IBRS_guest_migrating_onto_a_Haswell_node_is_refused_naming_the_missing_flags()
    {
        var result = Hook(105, Source);

        Assert.Equal(2, result.Exit);
        var line = Assert.Single(result.ErrorLines, l => l.Contains("refusing", StringComparison.Ordinal));
        Assert.StartsWith($"proxclmc-guard: refusing migration of VM 105 from {Source} to {Target}: lacks ", line, StringComparison.Ordinal);
        Assert.Contains("avx512f", line, StringComparison.Ordinal);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void A_kvm64_guest_is_allowed_silently()
    {
        var result = Hook(100, Source);

        Assert.Equal(0, result.Exit);
        Assert.Equal("", result.Error);
    }

    [Fact]
    public void A_plain_start_of_an_unsafe_guest_is_logged_but_not_blocked_by_default()
    {
        var result = Hook(105, migratedFrom: null);

        Assert.Equal(0, result.Exit);
        Assert.DoesNotContain(result.ErrorLines, l => l.Contains("refusing", StringComparison.Ordinal));
        Assert.Contains(result.ErrorLines, l => l.StartsWith("proxclmc-guard: warning: VM 105 starts on ", StringComparison.Ordinal)
            && l.Contains(Target, StringComparison.Ordinal) && l.Contains("which cannot run its CPU type", StringComparison.Ordinal));
    }

    [Fact]
    public void A_plain_start_of_an_unsafe_guest_is_blocked_with_block_unsafe_start()
    {
        var result = Hook(105, migratedFrom: null, "\n[hook]\nblock_unsafe_start = true\n");

        Assert.Equal(2, result.Exit);
        Assert.Single(result.ErrorLines, l => l.StartsWith("proxclmc-guard: refusing start of VM 105 on pve-haswell: lacks ", StringComparison.Ordinal));
    }

    [Fact]
    public void Other_phases_never_block()
    {
        var environment = new Dictionary<string, string> { ["PVE_MIGRATED_FROM"] = Source };
        foreach (var phase in new[] { "post-start", "pre-stop", "post-stop" })
        {
            var result = GuardRun.RunWith(environment, "hook", "105", phase, "--config", Config("\n[hook]\nblock_unsafe_start = true\n"));
            Assert.Equal(0, result.Exit);
        }
    }

    [Fact]
    public void A_host_guest_whose_source_CPU_is_unknown_is_allowed_and_logged()
    {
        var result = Hook(106, Source);

        Assert.Equal(0, result.Exit);
        Assert.Contains(result.ErrorLines, l => l.StartsWith("proxclmc-guard: warning: Hook could not decide for VM 106", StringComparison.Ordinal) && l.Contains(Source, StringComparison.Ordinal));
    }

    [Fact]
    public void A_host_guest_whose_source_CPU_is_unknown_is_refused_with_fail_closed()
    {
        var result = Hook(106, Source, "\n[hook]\nfail_closed = true\n");

        Assert.Equal(2, result.Exit);
        Assert.Single(result.ErrorLines, l => l.StartsWith("proxclmc-guard: refusing start of VM 106", StringComparison.Ordinal) && l.EndsWith("(hook.fail_closed = true)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_VM_without_a_config_in_the_tree_is_allowed_unless_fail_closed()
    {
        Assert.Equal(0, Hook(999, Source).Exit);
        Assert.Equal(2, Hook(999, Source, "\n[hook]\nfail_closed = true\n").Exit);
    }

    // The source node's facts come from published facts or SSH, which the command line wires separately; here the
    // resolver's live source is a lookup that reads a corpus file.
    [Fact]
    public async Task A_host_guest_from_an_identical_CPU_is_allowed()
    {
        var (exit, error, _) = await RunHookAsync(106, Source, (node, _) => Task.FromResult<NodeFacts?>(Facts(node, HaswellCpuInfo)));

        Assert.Equal(0, exit);
        Assert.Equal("", error);
    }

    [Fact]
    public async Task A_host_guest_from_a_different_CPU_is_refused()
    {
        var (exit, error, _) = await RunHookAsync(106, Source, (node, _) => Task.FromResult<NodeFacts?>(Facts(node, SkylakeCpuInfo)));

        Assert.Equal(HookRunner.Refused, exit);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"proxclmc-guard: refusing migration of VM 106 from {Source} to {Target}: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_source_that_never_answers_still_gets_an_answer_allowed_and_logged()
    {
        var asked = new List<string>();
        Lookup hangs = async (node, ct) =>
        {
            asked.Add(node);
            await Task.Delay(Timeout.Infinite, ct);
            return null;
        };

        // The guard against a hung test is generous; the hook's own budget is what ends the wait.
        var (exit, _, log) = await RunHookAsync(106, Source, hangs).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, exit);
        Assert.Equal([Source], asked);
        Assert.Contains(log, l => l.Contains("could not decide for VM 106", StringComparison.Ordinal) && l.Contains("allowing", StringComparison.Ordinal));
    }

    private static NodeFacts Facts(string node, string cpuinfoFile) =>
        NodeFacts.Readable(node, CpuInfoParser.Parse(File.ReadAllText(cpuinfoFile), cpuinfoFile).GetValueOrThrow(), FactsSource.Cache);

    private async Task<(int Exit, string Error, List<string> Log)> RunHookAsync(int vmid, string migratedFrom, Lookup lookup)
    {
        var settings = new RunSettings { PveRoot = _tree.PathOf("pve"), LocalCpuInfo = HaswellCpuInfo, LocalNode = Target };
        var error = new StringWriter { NewLine = "\n" };
        var sink = new ListSink();
        var log = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(sink).CreateLogger();

        // The one resolver with this node's own reading, and the lookup as the live source for the other nodes.
        var facts = new NodeFactsResolver(
            new NodeFactsPorts { Own = new OwnCpuInfoReading(PhysicalFileSystem.Instance, HaswellCpuInfo, TimeProvider.System, null), Live = new LookupSource(lookup) },
            new NodeFactsRules { LocalNode = Target },
            TimeProvider.System);
        var decision = new HookDecision(new PveTreeHookGuests(new PveTree(settings.PveRoot, PhysicalFileSystem.Instance), PhysicalFileSystem.Instance), facts, settings, Target);
        var runner = new HookRunner(settings, Target, PhysicalFileSystem.Instance, name => name == "PVE_MIGRATED_FROM" ? migratedFrom : null, log, error, () => decision, TimeProvider.System);

        var exit = await runner.RunAsync(vmid, "pre-start", CancellationToken.None);
        return (exit, error.ToString(), sink.Lines);
    }

    private delegate Task<NodeFacts?> Lookup(string node, CancellationToken cancellationToken);

    private sealed class LookupSource(Lookup lookup) : Core.Sources.INodeFactsSource
    {
        public async Task<IReadOnlyList<NodeFacts>> GetFactsAsync(Core.Cluster.ClusterMembership membership, CancellationToken cancellationToken)
        {
            var facts = new List<NodeFacts>();
            foreach (var node in membership.Nodes)
            {
                facts.Add(await lookup(node.Name, cancellationToken) ?? NodeFacts.Unreadable(node.Name, "unknown", FactsSource.Ssh));
            }

            return facts;
        }
    }

    private sealed class ListSink : Serilog.Core.ILogEventSink
    {
        public List<string> Lines { get; } = [];

        public void Emit(LogEvent logEvent)
        {
            lock (Lines)
            {
                Lines.Add(logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }
}
