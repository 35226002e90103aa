using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Core.Placement;

namespace ProxClmc.Guard.Application.Placement;

/// <summary>What writing a placement plan did, rule by rule (or group by group), in the plan's order.</summary>
public sealed record PlacementApplyResult(FixPlan Plan, IReadOnlyList<PlacementResult> Results)
{
    /// <summary>Which HA files changed since the plan (or "while the plan was being written"), when a write was refused.</summary>
    public string? ChangedFiles { get; init; }

    public PlacementPlan Placement => Plan.Placement!;

    public IReadOnlyList<PlacementEntry> Changes => Placement.Changes().ToList();

    public int Written => Results.Count(r => r.Outcome == PlacementOutcome.Applied);

    public PlacementResult? Failed => Results.FirstOrDefault(r => r.Outcome == PlacementOutcome.Failed);

    public PlacementResult? Conflict => Results.FirstOrDefault(r => r.Outcome == PlacementOutcome.Conflict);

    /// <summary>Unsafe guests the plan leaves as they are.</summary>
    public IReadOnlyList<int> Others => Placement.Entries.Where(e => !e.IsChange).Select(e => e.VmId).ToList();
}
