using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.Cluster;

/// <summary>corosync.conf as Proxmox's own parser reads it (pve-cluster's Corosync.pm).</summary>
public static class CorosyncConfig
{
    public static ParseResult<ClusterMembership> Parse(string text, string source = "corosync.conf") => throw new NotImplementedException();
}
