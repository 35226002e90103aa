using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>This host's own reading of itself: its /proc/cpuinfo and, where the run asks it, its QEMU under KVM.</summary>
public interface IOwnNodeReading
{
    /// <summary>The cpuinfo file read (for messages).</summary>
    string CpuInfoPath { get; }

    /// <summary>This host's facts under the node's name, or unreadable with the reason. Never throws for a bad file.</summary>
    Task<NodeFacts> ReadAsync(ClusterNode node, CancellationToken cancellationToken);
}
