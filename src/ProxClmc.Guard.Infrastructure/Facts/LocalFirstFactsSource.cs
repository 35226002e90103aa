using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Infrastructure.Facts;

/// <summary>
/// <c>facts.source = "auto"</c>: this host read from its own file, every other node from <paramref name="remote"/>
/// (SSH or the API), answers in membership order.
/// </summary>
internal sealed class LocalFirstFactsSource(LocalFactsSource local, INodeFactsSource remote) : INodeFactsSource
{
    public async Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken)
    {
        var self = local.FindLocalNode(membership);
        var others = membership with { Nodes = membership.Nodes.Where(n => n != self).ToList() };
        var localTask = self is null ? Task.FromResult<NodeFacts?>(null) : ReadSelfAsync(self, cancellationToken);
        var remoteTask = others.Nodes.Count == 0
            ? Task.FromResult<IReadOnlyList<NodeFacts>>([])
            : remote.GetFactsAsync(others, cancellationToken);
        await Task.WhenAll(localTask, remoteTask).ConfigureAwait(false);

        var byNode = remoteTask.Result.ToDictionary(f => f.Node, StringComparer.Ordinal);
        return membership.Nodes
            .Select(n => n == self ? localTask.Result! : byNode.GetValueOrDefault(n.Name)
                ?? NodeFacts.Unreadable(n.Name, $"{n.Name}: no facts returned", FactsSource.Ssh, n.Addresses.FirstOrDefault() ?? ""))
            .ToList();
    }

    private async Task<NodeFacts?> ReadSelfAsync(ClusterNode self, CancellationToken cancellationToken) =>
        await local.ReadAsync(self, cancellationToken).ConfigureAwait(false);
}
