namespace ProxClmc.Guard.Application.Ports;

/// <summary>Why a node's cpuinfo is (or is not) in the snapshot, as the manifest reports it.</summary>
public sealed record SnapshotNode(string Name, string Source, string? Address, string? Error, bool Synthesized = false);
