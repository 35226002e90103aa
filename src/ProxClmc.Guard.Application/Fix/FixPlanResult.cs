using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Fixes;

namespace ProxClmc.Guard.Application.Fix;

/// <summary>
/// What a <c>fix</c> plan found. Either the request could not be planned (<see cref="UnreadableNodes"/> or
/// <see cref="UnknownVmIds"/> not empty: <see cref="Plan"/> is null) or <see cref="Plan"/> holds the plan.
/// </summary>
public sealed record FixPlanResult(ScanResult Scan)
{
    /// <summary>Nodes whose CPU could not be read while the request does not allow a partial baseline.</summary>
    public IReadOnlyList<string> UnreadableNodes { get; init; } = [];

    /// <summary><c>--vmid</c> values no guest of the cluster has.</summary>
    public IReadOnlyList<int> UnknownVmIds { get; init; } = [];

    public FixPlan? Plan { get; init; }

    /// <summary>The planner the plan came from: a VM changed since is planned once more by it when applied in the same run.</summary>
    public FixPlanner? Planner { get; init; }

    /// <summary>The plan is in the plan store and can be applied later by its id.</summary>
    public bool Saved { get; init; }

    /// <summary>The plan's changes.</summary>
    public IReadOnlyList<FixPlanEntry> Changes => Plan?.ChangeEntries().ToList() ?? [];

    /// <summary>Unsafe guests the plan does not rewrite (see their reasons).</summary>
    public IReadOnlyList<int> UnsafeSkips => Plan?.UnsafeSkips().Select(e => e.VmId).ToList() ?? [];
}
