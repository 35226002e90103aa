using System.Text.Json;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Application.ScheduledScan;
using ProxClmc.Guard.Application.Scanning;
using ProxClmc.Guard.Cli.Tests.Hosting;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Testing;
using Serilog;

namespace ProxClmc.Guard.Cli.Tests.Application.ScheduledScan;

/// <summary>
/// The daemon's scans as the worker runs them, over the lab cluster as a snapshot with the composition root's own
/// adapters: a node that cannot be read in a later run is judged by what it last reported; the report file and the
/// outcome say what the run found.
/// </summary>
public sealed class ScheduledScanUseCaseTests : IDisposable
{
    private readonly TempTree _cluster = new TempTree().CopyFrom(RepoPaths.LabCluster);
    private readonly TempTree _reports = new();
    private readonly CollectingSink _log = new();
    private readonly List<ScanRunResult> _judged = [];

    public void Dispose()
    {
        _cluster.Dispose();
        _reports.Dispose();
    }

    private string ReportFile => _reports.PathOf("report.json");

    private RunSettings Settings => new()
    {
        From = _cluster.Root,
        Config = GuardConfig.Default with { Report = new ReportSettings { JsonFile = ReportFile, PrometheusTextfile = null } },
    };

    private ScheduledScanUseCase Scans()
    {
        var environment = new CliEnvironment
        {
            Out = TextWriter.Null,
            Error = TextWriter.Null,
            Clock = new FixedClock(GuardRun.Now),
            HostName = () => "testhost",
            GetEnvironmentVariable = _ => null,
        };
        var log = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(_log).CreateLogger();
        var sources = CompositionRoot.SourceFactory(environment);
        return CompositionRoot.ScheduledScan(sources.Create, environment, log, _judged.Add);
    }

    private int ReportedExitCode()
    {
        using var report = JsonDocument.Parse(File.ReadAllBytes(ReportFile));
        return report.RootElement.GetProperty("exitCode").GetInt32();
    }

    [Fact]
    public async Task A_node_unreadable_in_a_later_run_is_judged_by_what_it_last_reported()
    {
        var scans = Scans();
        var first = await scans.RunOnceAsync(new ScheduledScanRequest(Settings), CancellationToken.None);
        File.Delete(_cluster.PathOf("nodes", "pve3", "cpuinfo"));

        var second = await scans.RunOnceAsync(new ScheduledScanRequest(Settings), CancellationToken.None);

        var pve3 = second.Scan.Cluster.Facts.Single(f => f.Node == "pve3");
        Assert.True(pve3.IsStale, "pve3 is judged by its last known facts");
        Assert.NotNull(pve3.Error);
        Assert.False(second.Scan.Cluster.Baseline.IsPartial);
        Assert.Equal(first.Scan.Cluster.Baseline.ClusterCpuType, second.Scan.Cluster.Baseline.ClusterCpuType);
        Assert.Equal(first.Outcome, second.Outcome);
        Assert.NotEqual(ScanOutcome.CouldNotDetermine, second.Outcome);
        Assert.Equal([first, second], _judged);
    }

    [Fact]
    public async Task A_restarted_worker_knows_no_earlier_facts_so_the_same_run_cannot_determine_and_the_report_says_3()
    {
        File.Delete(_cluster.PathOf("nodes", "pve3", "cpuinfo"));

        var found = await Scans().RunOnceAsync(new ScheduledScanRequest(Settings), CancellationToken.None);

        Assert.Equal(ScanOutcome.CouldNotDetermine, found.Outcome);
        Assert.Contains("pve3", found.Scan.Cluster.Baseline.UnreadableNodes);
        Assert.Equal(3, ReportedExitCode());
    }

    [Fact]
    public async Task The_journal_gets_the_verdicts_before_a_report_file_that_cannot_be_written_fails_the_run()
    {
        var settings = Settings with { Config = GuardConfig.Default with { Report = new ReportSettings { JsonFile = _reports.PathOf("missing", "report.json"), PrometheusTextfile = null } } };

        var failure = await Assert.ThrowsAsync<IOException>(() => Scans().RunOnceAsync(new ScheduledScanRequest(settings), CancellationToken.None));

        Assert.Contains("[report] json_file", failure.Message, StringComparison.Ordinal);
        Assert.Single(_judged);
        Assert.False(File.Exists(_reports.PathOf("missing", "report.json")));
    }
}
