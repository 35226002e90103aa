using ProxClmc.Guard.Core.History;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>What <see cref="ICpuStateStore.Read"/> found: the state (null on a first scan), or why it cannot be used.</summary>
public sealed record RecordedState(ClusterState? State, string? Problem);
