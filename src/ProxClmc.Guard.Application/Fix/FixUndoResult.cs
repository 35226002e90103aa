namespace ProxClmc.Guard.Application.Fix;

/// <summary>What <c>fix --undo</c> did, VM by VM. <see cref="Results"/> is null when the plan has no undo file.</summary>
public sealed record FixUndoResult(string PlanId, IReadOnlyList<UndoResult>? Results)
{
    /// <summary>Why the records are refused: they were written for another cluster (null: they are this cluster's).</summary>
    public string? OtherCluster { get; init; }

    public int Restored => (Results ?? []).Count(r => r.Outcome is UndoOutcome.Restored or UndoOutcome.AlreadyRestored or UndoOutcome.NotWritten);

    public UndoResult? Failed => (Results ?? []).FirstOrDefault(r => r.Outcome == UndoOutcome.Failed);

    /// <summary>VMs changed since, locked or gone: left alone.</summary>
    public IReadOnlyList<int> LeftAlone => (Results ?? []).Where(r => r.Outcome is UndoOutcome.ChangedSince or UndoOutcome.Skipped).Select(r => r.Record.VmId).ToList();

    public IReadOnlyList<UndoResult> NotRestorable => (Results ?? []).Where(r => r.Outcome == UndoOutcome.NotRestorable).ToList();
}
