using ProxClmc.Guard.Core.History;

namespace ProxClmc.Guard.Infrastructure.History;

/// <summary>What reading the state file gave: the previous state, or nothing (first scan), or why it cannot be used.</summary>
public sealed record StateRead(ClusterState? State, string? Problem)
{
    public static StateRead Missing { get; } = new(null, null);
}
