using ProxClmc.Guard.Core.Fixes;

namespace ProxClmc.Guard.Application.Fix;

/// <summary>What a <c>fix</c> plan (strategy cpu) is asked for, bound from the command line and the configuration.</summary>
public sealed record FixPlanRequest
{
    /// <summary>Target, filters and switches the planner takes.</summary>
    public required FixOptions Options { get; init; }

    /// <summary>The options as typed, recorded in the plan for its reader.</summary>
    public string? Description { get; init; }

    /// <summary>The plan is written in the same run: it must be saved (a failed save is an error, not a warning).</summary>
    public bool Apply { get; init; }

    /// <summary>Planned from a snapshot (<c>--from</c>): nothing is saved unless asked for with <see cref="SavePlan"/>.</summary>
    public bool DryRun { get; init; }

    /// <summary><c>--save-plan &lt;file&gt;</c>: also write the plan there.</summary>
    public string? SavePlan { get; init; }

    /// <summary>The run may plan against the nodes it could read (<c>--allow-partial</c>).</summary>
    public bool AllowPartial { get; init; }
}
