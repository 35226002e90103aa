using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>The <c>nodes/&lt;node&gt;/cpuinfo</c> files a snapshot carries (<c>--from</c>).</summary>
public interface ISnapshotNodeFacts
{
    /// <summary>The snapshot's folder (for messages).</summary>
    string Root { get; }

    bool HasCpuInfo(string node);

    /// <summary>The node's cpuinfo as facts, or unreadable with the reason.</summary>
    NodeFacts Read(ClusterNode node);
}
