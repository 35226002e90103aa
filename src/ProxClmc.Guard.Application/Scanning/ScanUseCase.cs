using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Compliance;
using Serilog;

namespace ProxClmc.Guard.Application.Scanning;

/// <summary>
/// <c>scan</c> (and each of the daemon's runs): read and judge the cluster through the pipeline, keep the guests the
/// filters choose, compare with the recorded state and record the new one, replace the report files when asked, and
/// say the outcome as a value (docs/ARCHITECTURE.md, "One scan, start to end").
/// </summary>
/// <param name="reports">Where <see cref="ScanRequest.WriteReports"/> writes; null when the caller never asks.</param>
public sealed class ScanUseCase(GuardPipeline pipeline, CpuStateRecorder recorder, IReportSink? reports, TimeProvider clock, ILogger log)
{
    /// <summary>Called with what the scan found once the state is recorded and before the report files are written, so the journal has it even when a report file cannot be written.</summary>
    public Action<ScanRunResult>? Judged { get; init; }

    public async Task<ScanRunResult> RunAsync(ScanRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = await pipeline.ScanAsync(cancellationToken).ConfigureAwait(false);
        request.Filter.Validate(result);
        foreach (var warning in result.Inventory.Warnings)
        {
            log.Warning("{Warning}", warning);
        }

        var report = request.Filter.Apply(result.Report);
        var now = clock.GetUtcNow();

        // The whole cluster's state is recorded whatever the filters show: the next scan compares with all of it.
        var settings = pipeline.Settings with { StateFile = request.StateFile };
        var changes = recorder.Record(settings, result, pipeline.Catalog, now, warning => log.Warning("{Warning}", warning), request.HoldsLock);
        var outcome = OutcomeOf(CpuChanges.WithChanges(report.ExitCode(settings.AllowPartial), changes));
        var found = new ScanRunResult(result, report, changes, outcome, now);
        Judged?.Invoke(found);
        if (request.WriteReports)
        {
            var sink = reports ?? throw new InvalidOperationException("this scan has no report sink to write the [report] files to");
            await sink.WriteAsync(result with { Report = report }, outcome, changes, cancellationToken).ConfigureAwait(false);
        }

        return found;
    }

    /// <summary>Core's compliance level (<see cref="ExitCodes"/>: 0 ok, 1 warnings, 2 unsafe, 3 unknown) as an outcome.</summary>
    public static ScanOutcome OutcomeOf(int level) => level switch
    {
        ExitCodes.Ok => ScanOutcome.AllSafe,
        ExitCodes.Warning => ScanOutcome.Warnings,
        ExitCodes.Unsafe => ScanOutcome.Unsafe,
        _ => ScanOutcome.CouldNotDetermine,
    };
}
