namespace ProxClmc.Guard.Application.Snapshot;

/// <summary>What <c>snapshot --out</c> was asked: the folder to write, whether a partial snapshot is an answer, and the tool's version for the manifest.</summary>
public sealed record SnapshotRequest(string OutDir, bool AllowPartial, string ToolVersion);
