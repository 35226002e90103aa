using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;

namespace ProxClmc.Guard.Application.Baseline;

/// <summary><c>baseline</c>: steps 1 to 4 of a scan without the guests (docs/ARCHITECTURE.md, "One scan, start to end").</summary>
public sealed class BaselineUseCase(GuardPipeline pipeline)
{
    public async Task<BaselineResult> RunAsync(BaselineRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cluster = await pipeline.AnalyzeAsync(cancellationToken).ConfigureAwait(false);
        return new BaselineResult(cluster, OutcomeOf(cluster, request.AllowPartial));
    }

    /// <summary>Unreadable nodes (without <paramref name="allowPartial"/>), then nodes below a pinned baseline, then warnings or a partial answer.</summary>
    public static ScanOutcome OutcomeOf(ClusterAnalysis cluster, bool allowPartial)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var baseline = cluster.Baseline;
        if (baseline.IsPartial && !allowPartial)
        {
            return ScanOutcome.CouldNotDetermine;
        }

        if (baseline.NodesBelowPin.Count > 0)
        {
            return ScanOutcome.Unsafe;
        }

        return baseline.IsPartial || baseline.Warnings.Count > 0 ? ScanOutcome.Warnings : ScanOutcome.AllSafe;
    }
}
