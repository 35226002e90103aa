namespace ProxClmc.Guard.Core.Cluster;

/// <summary>A corosync link of a node: <c>ring&lt;N&gt;_addr</c> or <c>link&lt;N&gt;_addr</c>, N in 0..7.</summary>
public sealed record NodeLink(int Number, string Address);

/// <summary>A cluster member as corosync.conf lists it. A node without <c>name</c> is known by its ring0 address.</summary>
public sealed record ClusterNode(string Name, int? NodeId, IReadOnlyList<NodeLink> Links)
{
    /// <summary>Link addresses in link order (ring0/link0 first), the order they are tried in.</summary>
    public IEnumerable<string> Addresses => Links.OrderBy(l => l.Number).Select(l => l.Address);
}

/// <summary>The cluster's name and nodes. <see cref="IsStandalone"/> is a host without corosync.conf: a one-node cluster.</summary>
public sealed record ClusterMembership(string? ClusterName, IReadOnlyList<ClusterNode> Nodes, bool IsStandalone = false)
{
    /// <summary>corosync's <c>totem.ip_version</c> (ipv4, ipv6, ipv4-6, ipv6-4); default ipv6-4.</summary>
    public string IpVersion { get; init; } = "ipv6-4";

    public static ClusterMembership Standalone(string hostName) =>
        new(null, [new ClusterNode(hostName, null, [])], IsStandalone: true);
}
