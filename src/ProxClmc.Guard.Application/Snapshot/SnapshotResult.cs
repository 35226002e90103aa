using ProxClmc.Guard.Application.Ports;

namespace ProxClmc.Guard.Application.Snapshot;

/// <summary>A written snapshot: its folder, what went into it, and its manifest (the text of manifest.json).</summary>
public sealed record SnapshotResult(string Root, SnapshotContents Collected, string Manifest, SnapshotOutcome Outcome)
{
    public IReadOnlyList<SnapshotNode> FailedNodes => Collected.Nodes.Where(n => n.Error is not null).ToList();
}
