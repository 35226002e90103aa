using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Composition;

/// <summary>
/// Creates the real source on first use: an SSH identity that does not exist must not fail a run that never
/// needs SSH (a standalone node, a snapshot), and must fail with its own clear error when SSH is needed.
/// </summary>
internal sealed class DeferredFactsSource(Func<INodeFactsSource> create) : INodeFactsSource, IDisposable
{
    private INodeFactsSource? _inner;

    public Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken) =>
        (_inner ??= create()).GetFactsAsync(membership, cancellationToken);

    public void Dispose() => (_inner as IDisposable)?.Dispose();
}
