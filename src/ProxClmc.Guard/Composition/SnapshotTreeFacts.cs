using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Infrastructure.Snapshot;

namespace ProxClmc.Guard.Composition;

/// <summary>The cpuinfo files of a snapshot or /etc/pve tree given to <c>--from</c>.</summary>
internal sealed class SnapshotTreeFacts(PveTree tree) : ISnapshotNodeFacts
{
    public string Root => tree.Root;

    public bool HasCpuInfo(string node) => tree.HasCpuInfo(node);

    public NodeFacts Read(ClusterNode node) => tree.ReadNodeFacts(node);
}
