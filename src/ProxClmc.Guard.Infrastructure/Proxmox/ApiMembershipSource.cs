using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>Cluster members from <c>GET /cluster/status</c>: each node with its cluster IP as its link address.</summary>
public sealed class ApiMembershipSource(ProxmoxClient client) : IMembershipSource
{
    public async Task<ClusterMembership> GetMembershipAsync(CancellationToken cancellationToken)
    {
        var status = await client.GetClusterStatusAsync(cancellationToken).ConfigureAwait(false);
        var cluster = status.FirstOrDefault(e => e.Type == "cluster");
        var nodes = status.Where(e => e.IsNode)
            .OrderBy(e => e.NodeId ?? int.MaxValue).ThenBy(e => e.Name, StringComparer.Ordinal)
            .Select(e => new ClusterNode(e.Name, e.NodeId, string.IsNullOrEmpty(e.Ip) ? [] : [new NodeLink(0, e.Ip)]))
            .ToList();
        if (nodes.Count == 0)
        {
            throw new SourceUnavailableException($"API GET /cluster/status on {client.ActiveUrl.Authority}: no node listed");
        }

        // A node that is not in a cluster answers with its own entry only: a one-node setup, as without corosync.conf.
        return new ClusterMembership(cluster?.Name, nodes, IsStandalone: cluster is null);
    }
}
