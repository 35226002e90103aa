using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Proxmox;

namespace ProxClmc.Guard.Composition;

/// <summary>Proxmox's per-node KVM flags (<see cref="ApiKvmFlagsFactsSource"/>) added to the facts the resolver read.</summary>
internal sealed class KvmFlagsEnricher : INodeFactsEnricher
{
    private readonly HandedOver _read = new();
    private readonly ApiKvmFlagsFactsSource _flags;

    public KvmFlagsEnricher(ProxmoxClient client) => _flags = new ApiKvmFlagsFactsSource(_read, client);

    /// <summary>Whether the KVM flags were used, and for which nodes, or why not.</summary>
    public IReadOnlyList<string> Notes => _flags.Notes;

    public Task<IReadOnlyList<NodeFacts>> EnrichAsync(IReadOnlyList<NodeFacts> facts, CancellationToken cancellationToken)
    {
        var membership = new ClusterMembership("", []);
        return _read.Hand(membership, facts, () => _flags.GetFactsAsync(membership, cancellationToken));
    }

    /// <summary>The facts already read, handed to the KVM flags source as its inner source for one call.</summary>
    private sealed class HandedOver : INodeFactsSource
    {
        private readonly AsyncLocal<(ClusterMembership Key, IReadOnlyList<NodeFacts> Facts)?> _current = new();

        public async Task<IReadOnlyList<NodeFacts>> Hand(ClusterMembership key, IReadOnlyList<NodeFacts> facts, Func<Task<IReadOnlyList<NodeFacts>>> call)
        {
            _current.Value = (key, facts);
            try
            {
                return await call().ConfigureAwait(false);
            }
            finally
            {
                _current.Value = null;
            }
        }

        public Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken) =>
            Task.FromResult(_current.Value is { } handed && ReferenceEquals(handed.Key, membership) ? handed.Facts : (IReadOnlyList<NodeFacts>)[]);
    }
}
