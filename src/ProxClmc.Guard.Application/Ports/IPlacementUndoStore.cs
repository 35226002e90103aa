namespace ProxClmc.Guard.Application.Ports;

/// <summary>The undo records of placement plans (<c>&lt;plan-id&gt;.placement.jsonl</c> in <c>fix.undo_dir</c>).</summary>
public interface IPlacementUndoStore
{
    /// <summary>Whether the plan has placement undo records (it is a placement plan that was applied).</summary>
    bool Has(string planId);

    /// <summary>Appends one record and has it on disk before returning: it must survive a crash during the write it precedes.</summary>
    void Append(string planId, PlacementUndoRecord record);

    /// <summary>The records in the order they were written; a line that is not a record is an error naming it.</summary>
    IReadOnlyList<PlacementUndoRecord> Read(string planId);
}
