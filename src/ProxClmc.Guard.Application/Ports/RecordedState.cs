using ProxClmc.Guard.Core.History;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>The cluster's CPU state as the scans recorded it (null when there is none), and why it cannot be used, if so.</summary>
public sealed record RecordedState(ClusterState? State, string? Problem);
