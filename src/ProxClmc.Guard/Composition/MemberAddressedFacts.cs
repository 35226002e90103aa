using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Composition;

/// <summary>
/// A live source asked about nodes by name alone (the hook): each node's link addresses are looked up in the
/// membership (corosync.conf) only when the node has to be read live, and a node that is not a member is unreadable.
/// </summary>
internal sealed class MemberAddressedFacts(IMembershipSource membership, INodeFactsSource live) : INodeFactsSource, IDisposable
{
    public async Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership nodes, CancellationToken cancellationToken)
    {
        var members = await membership.GetMembershipAsync(cancellationToken).ConfigureAwait(false);
        var known = nodes.Nodes.Select(n => members.Nodes.FirstOrDefault(m => m.Name == n.Name)).OfType<ClusterNode>().ToList();
        var read = known.Count > 0
            ? await live.GetFactsAsync(new ClusterMembership(members.ClusterName, known, members.IsStandalone) { IpVersion = members.IpVersion }, cancellationToken).ConfigureAwait(false)
            : [];
        return nodes.Nodes
            .Select(n => read.FirstOrDefault(f => f.Node == n.Name) ?? NodeFacts.Unreadable(n.Name, "not a member in corosync.conf", FactsSource.Ssh))
            .ToList();
    }

    public void Dispose() => (live as IDisposable)?.Dispose();
}
