using ProxClmc.Guard.Core.Fixes;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>Where plans and undo records live (<c>fix.undo_dir</c>): a seam so the verb can be tested on any directory.</summary>
public interface IFixStore
{
    /// <summary>The directory, for messages.</summary>
    string Location { get; }

    /// <summary>Writes &lt;id&gt;.plan.json (atomically: a reader never sees half a plan).</summary>
    void SavePlan(FixPlan plan);

    /// <summary>The stored plan, or null when there is none with that id.</summary>
    FixPlan? LoadPlan(string planId);

    /// <summary>Appends one line to &lt;id&gt;.undo.jsonl and has it on disk before returning: it must survive a crash during the write it precedes.</summary>
    void AppendUndo(string planId, FixUndoRecord record);

    /// <summary><c>--save-plan &lt;file&gt;</c>: the plan as JSON at a path of the administrator's choosing; a path that cannot be written is a usage error.</summary>
    void ExportPlan(string file, FixPlan plan);

    /// <summary>The undo records in the order they were written, or null when the plan has no undo file.</summary>
    IReadOnlyList<FixUndoRecord>? ReadUndo(string planId);
}
