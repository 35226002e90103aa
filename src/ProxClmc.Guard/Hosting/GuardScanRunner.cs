using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.ScheduledScan;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Hosting;

/// <summary>
/// The worker's scan: the scheduled-scan use case with the settings in force (the last successful reload's), its
/// outcome in the terms of <c>systemctl status</c>.
/// </summary>
internal sealed class GuardScanRunner(Func<RunSettings> settings, ScheduledScanUseCase scans, TimeProvider clock) : IScanRunner
{
    public async Task<ScanRunSummary> RunOnceAsync(CancellationToken cancellationToken)
    {
        var found = await scans.RunOnceAsync(new ScheduledScanRequest(settings()), cancellationToken).ConfigureAwait(false);
        var report = found.Report;
        return new ScanRunSummary(report.Baseline.ClusterCpuType, report.Verdicts.Count, report.UnsafeCount, report.WarningCount, clock.GetUtcNow(), ScanExitCodes.Of(found.Outcome));
    }
}
