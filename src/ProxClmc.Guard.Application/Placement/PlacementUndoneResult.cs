namespace ProxClmc.Guard.Application.Placement;

/// <summary>What <c>fix --undo</c> of a placement plan did: last written, first removed.</summary>
public sealed record PlacementUndoneResult(string PlanId, IReadOnlyList<PlacementUndoResult> Results)
{
    /// <summary>The removal that failed (the run stopped there), if any.</summary>
    public PlacementUndoResult? Failed => Results.FirstOrDefault(r => r.Outcome == PlacementUndoOutcome.Failed);

    /// <summary>Guests whose rule or group was changed since, and left alone.</summary>
    public IReadOnlyList<int> LeftAlone => Results.Where(r => r.Outcome == PlacementUndoOutcome.ChangedSince).Select(r => r.Record.VmId).ToList();
}
