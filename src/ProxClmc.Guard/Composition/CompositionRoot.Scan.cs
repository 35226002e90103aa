using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Application.ScheduledScan;
using ProxClmc.Guard.Application.Scanning;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Hosting;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Infrastructure.Systemd;
using Serilog;

namespace ProxClmc.Guard.Composition;

/// <summary>The adapters of <c>scan</c>, <c>scan --once-per-cluster</c> and the daemon's scans.</summary>
internal static partial class CompositionRoot
{
    /// <summary>The <c>scan</c> use case over <paramref name="pipeline"/>: the state file under the cluster lock, the [report] files.</summary>
    public static ScanUseCase Scan(GuardPipeline pipeline, TimeProvider clock, ILogger log) =>
        new(pipeline, StateRecorder(pipeline.Settings, clock), ReportSink(pipeline.Settings), clock, log);

    /// <summary>The timer's scan: the turn through the cluster lock, then <paramref name="scan"/>.</summary>
    public static ScanTurnUseCase ScanTurn(RunSettings settings, ClusterSources sources, ScanUseCase scan, TimeProvider clock, ILogger log) =>
        new(sources.Membership, ClusterLock(settings, clock), scan, log);

    /// <summary>The daemon's scans: each run's sources, lock, state file and [report] files from the settings in force, and this node's facts republished first.</summary>
    public static ScheduledScanUseCase ScheduledScan(Func<RunSettings, ClusterSources> sources, CliEnvironment environment, ILogger log, Action<ScanRunResult>? judged) =>
        new(
            new ScheduledScanAdapters(sources, ReportSink, settings => ClusterLock(settings, environment.Clock), new ClusterStateFileStore(), path => File.ReadAllText(path))
            {
                OwnFacts = settings => new RepublishingOwnFacts(FactsRepublisher(settings, environment, log), settings),
            },
            environment.Clock,
            log)
        {
            Judged = judged,
        };

    /// <summary>The worker's notifications to systemd (NOTIFY_SOCKET as <paramref name="environment"/> gives it).</summary>
    public static IServiceNotifier ServiceNotifier(Func<string, string?> environment) => new SystemdNotifier(SdNotify.FromEnvironment(environment));

    /// <summary>Compares a scan with the recorded state and records the new one, under the cluster lock.</summary>
    private static CpuStateRecorder StateRecorder(RunSettings settings, TimeProvider clock) => new(new ClusterStateFileStore(), ClusterLock(settings, clock));

    private sealed class RepublishingOwnFacts(FactsRepublisher republisher, RunSettings settings) : IOwnFactsRefresher
    {
        public Task<bool> RefreshAsync(string node, CancellationToken cancellationToken) =>
            republisher.RepublishIfNeededAsync(settings.PveRoot, node, settings.CacheMaxAge, cancellationToken, PublishedFacts.OwnWritePath(settings.CacheFile));
    }
}
