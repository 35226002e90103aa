using ProxClmc.Guard.Core.Placement;

namespace ProxClmc.Guard.Application.Placement;

/// <summary>One rule or group of the plan and what writing it did.</summary>
public sealed record PlacementResult(PlacementEntry Entry, PlacementOutcome Outcome, string Message);
