namespace ProxClmc.Guard.Application.Ports;

/// <summary>What the sources gave a snapshot: which sources, every node's cpuinfo (or why not), the guests written and those that could not be.</summary>
public sealed record SnapshotContents(IReadOnlyList<string> Sources, IReadOnlyList<SnapshotNode> Nodes, IReadOnlyList<string> GuestFailures, int GuestCount);
