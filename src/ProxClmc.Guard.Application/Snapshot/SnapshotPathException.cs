namespace ProxClmc.Guard.Application.Snapshot;

/// <summary>A name from the cluster that cannot safely become a path in the snapshot folder.</summary>
public sealed class SnapshotPathException(string message) : Exception(message);
