using ProxClmc.Guard.Application.Scan;

namespace ProxClmc.Guard.Application.Baseline;

/// <summary>The cluster as read (nodes, their facts, the baseline) and what it amounts to.</summary>
/// <param name="Outcome"><see cref="ScanOutcome.CouldNotDetermine"/>: nodes not read (without <c>--allow-partial</c>);
/// <see cref="ScanOutcome.Unsafe"/>: nodes below the pinned baseline; <see cref="ScanOutcome.Warnings"/>: warnings or a
/// partial baseline; else <see cref="ScanOutcome.AllSafe"/>.</param>
public sealed record BaselineResult(ClusterAnalysis Cluster, ScanOutcome Outcome);
