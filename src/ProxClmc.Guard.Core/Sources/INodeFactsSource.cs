using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;

namespace ProxClmc.Guard.Core.Sources;

/// <summary>One <see cref="NodeFacts"/> per member node, readable or with the reason it is not. Never throws for one bad node.</summary>
public interface INodeFactsSource
{
    Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken);
}
