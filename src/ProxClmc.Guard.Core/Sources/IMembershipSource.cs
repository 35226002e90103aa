using ProxClmc.Guard.Core.Cluster;

namespace ProxClmc.Guard.Core.Sources;

/// <summary>Who is in the cluster: corosync.conf (file or snapshot), or the API's /cluster/status.</summary>
public interface IMembershipSource
{
    Task<ClusterMembership> GetMembershipAsync(CancellationToken cancellationToken);
}
