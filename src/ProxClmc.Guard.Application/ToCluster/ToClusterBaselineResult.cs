using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Application.Scan;

namespace ProxClmc.Guard.Application.ToCluster;

/// <summary>
/// <c>baseline --to-cluster</c>: both clusters as read, and the two as one source that has already been read (the
/// other cluster's nodes named <c>&lt;remote&gt;/&lt;node&gt;</c>), for baseline to judge as it judges one cluster.
/// </summary>
public sealed record ToClusterBaselineResult(ClusterAnalysis Local, RemoteClusterView Remote, ClusterSources Combined);
