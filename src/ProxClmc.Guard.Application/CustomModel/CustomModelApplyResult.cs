using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Application.CustomModel;

/// <summary>
/// <c>baseline --custom-model NAME --apply PLAN-ID</c>: the saved plan, where it was written and what that gave.
/// <see cref="TooOld"/> is the plan's age when it is outside <c>fix.plan_max_age_seconds</c> (nothing written).
/// </summary>
public sealed record CustomModelApplyResult(CustomModelPlan Plan, string TargetDescription)
{
    public TimeSpan? TooOld { get; init; }

    public WriteResult? Written { get; init; }
}
