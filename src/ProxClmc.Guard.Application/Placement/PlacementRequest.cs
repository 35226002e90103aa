namespace ProxClmc.Guard.Application.Placement;

/// <summary>What <c>fix --strategy placement</c> is asked for (a plan, or a plan written in the same run).</summary>
public sealed record PlacementRequest
{
    public IReadOnlyList<int> VmIds { get; init; } = [];

    /// <summary>Plan, show and write the plan in one run.</summary>
    public bool Apply { get; init; }

    /// <summary><c>--save-plan &lt;file&gt;</c>: also write the plan there.</summary>
    public string? SavePlan { get; init; }

    /// <summary>The options as typed, recorded in the plan for its reader.</summary>
    public string? Description { get; init; }

    /// <summary><c>--allow-single-node</c>: a placement rule may have a single node.</summary>
    public bool AllowSingleNode { get; init; }
}
