using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.History;
using ProxClmc.Guard.Infrastructure.History;

namespace ProxClmc.Guard.Composition;

/// <summary>The CPU-state port over the state file (<see cref="ClusterStateFile"/>).</summary>
internal sealed class ClusterStateFileStore : ICpuStateStore
{
    public RecordedState Read(string path, string? clusterName)
    {
        var read = ClusterStateFile.Read(path, clusterName);
        return new RecordedState(read.State, read.Problem);
    }

    public void Write(string path, ClusterState state) => ClusterStateFile.Write(path, state);
}
