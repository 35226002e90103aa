using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Application.ToCluster;

/// <summary>The other cluster as read: its settings, its nodes and facts, and its custom models (null when they could not be read).</summary>
public sealed record RemoteClusterView(RunSettings Settings, ClusterAnalysis Cluster, CustomCpuModels? Models)
{
    public string Name => Settings.RemoteName ?? "the other cluster";
}
