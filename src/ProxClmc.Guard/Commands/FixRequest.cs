namespace ProxClmc.Guard.Commands;

/// <summary>What the administrator asked <c>fix</c> for.</summary>
internal sealed record FixRequest
{
    public IReadOnlyList<int> VmIds { get; init; } = [];

    /// <summary><c>--to</c>: an explicit target model (also allows rewriting custom models).</summary>
    public string? To { get; init; }

    /// <summary><c>--apply</c> without a plan id: plan with the filters given, show the plan, then write it.</summary>
    public bool Apply { get; init; }

    /// <summary><c>--apply &lt;plan-id&gt;</c>: write exactly that saved plan.</summary>
    public string? ApplyPlanId { get; init; }

    /// <summary><c>--save-plan &lt;file&gt;</c>: also write the plan there (the only thing a dry run from --from writes).</summary>
    public string? SavePlan { get; init; }

    /// <summary>The options as typed, recorded in the plan for its reader.</summary>
    public string? Description { get; init; }

    public bool IncludeRunning { get; init; }

    public bool FixPhysBits { get; init; }

    /// <summary><c>--undo &lt;plan-id&gt;</c>.</summary>
    public string? Undo { get; init; }

    /// <summary><c>--strategy placement</c>: pin HA guests with strict rules instead of lowering their cpu.</summary>
    public bool Placement { get; init; }

    /// <summary><c>--strategy</c> as typed (null when taken from <c>fix.strategy</c>); with a plan id it must match the plan.</summary>
    public string? Strategy { get; init; }

    /// <summary><c>--allow-single-node</c>: a placement rule may have a single node.</summary>
    public bool AllowSingleNode { get; init; }
}
