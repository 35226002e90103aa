namespace ProxClmc.Guard.Application.Placement;

/// <summary>What undoing one rule or group of a placement plan did.</summary>
public enum PlacementUndoOutcome
{
    Removed,
    AlreadyGone,

    /// <summary>The plan's write was refused or failed: nothing of ours to remove.</summary>
    NotWritten,

    /// <summary>Someone changed the rule or group since: left alone.</summary>
    ChangedSince,
    Failed,
}
