using ProxClmc.Guard.Application.Ports;

namespace ProxClmc.Guard.Application.Placement;

/// <summary>One rule or group a placement plan wrote, and what undoing it did.</summary>
public sealed record PlacementUndoResult(PlacementUndoRecord Record, PlacementUndoOutcome Outcome, string Message);
