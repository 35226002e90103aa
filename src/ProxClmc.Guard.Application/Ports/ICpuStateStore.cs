using ProxClmc.Guard.Core.History;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>
/// Where the cluster's recorded CPU state lives (<c>[history] state_file</c>, DESIGN.md "history"): read before a
/// scan compares, replaced whole after it.
/// </summary>
public interface ICpuStateStore
{
    /// <summary>The state recorded for <paramref name="clusterName"/>; a file that cannot be used is a problem, not an exception.</summary>
    RecordedState Read(string path, string? clusterName);

    /// <summary>Replaces the state file: a reader sees the old state or the new one, never half of it.</summary>
    void Write(string path, ClusterState state);
}
