namespace ProxClmc.Guard.Core.Sources;

public sealed record WriteResult(WriteOutcome Outcome, string? Message = null, bool Pending = false);
