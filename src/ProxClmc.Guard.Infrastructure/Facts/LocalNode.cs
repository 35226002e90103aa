using System.Net;
using ProxClmc.Guard.Core.Cluster;

namespace ProxClmc.Guard.Infrastructure.Facts;

internal static class LocalNode
{
    /// <summary>
    /// This host's entry in the node list: <c>cluster.local_node</c> when it names a member, else the node named like this host's short
    /// name (Proxmox node names are the short hostname), else the node with one of this host's addresses as a link address.
    /// </summary>
    public static ClusterNode? Find(ClusterMembership membership, IHostIdentity host, string? configuredLocalNode = null)
    {
        // The configuration fills local_node from the host name by default, so a name that is not a member is not final:
        // the host's own addresses may still name its node (a host renamed after joining keeps its corosync entry).
        var configured = string.IsNullOrWhiteSpace(configuredLocalNode)
            ? null
            : membership.Nodes.FirstOrDefault(n => string.Equals(n.Name, configuredLocalNode, StringComparison.OrdinalIgnoreCase));
        if (configured is not null)
        {
            return configured;
        }

        if (membership.IsStandalone && membership.Nodes.Count == 1)
        {
            return membership.Nodes[0];
        }

        var shortName = host.HostName.Split('.')[0];
        var byName = membership.Nodes.FirstOrDefault(n =>
            string.Equals(n.Name, shortName, StringComparison.OrdinalIgnoreCase) ||
            string.Equals(n.Name, host.HostName, StringComparison.OrdinalIgnoreCase));
        if (byName is not null)
        {
            return byName;
        }

        var own = host.Addresses.Where(a => !IPAddress.IsLoopback(a)).Select(Normalize).ToHashSet();
        return membership.Nodes.FirstOrDefault(n =>
            n.Addresses.Any(a => IPAddress.TryParse(a, out var ip) && own.Contains(Normalize(ip))));
    }

    private static IPAddress Normalize(IPAddress ip)
    {
        var plain = ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
        // A link-local address's scope (%eth0) is not part of how corosync.conf writes it.
        return plain.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && plain.ScopeId != 0 ? new IPAddress(plain.GetAddressBytes()) : plain;
    }
}
