using ProxClmc.Guard.Core.Facts;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>Where a node publishes its own facts for every other node (&lt;pve_root&gt;/nodes/&lt;node&gt;/proxclmc-guard/facts.json).</summary>
public interface IFactsPublisher
{
    /// <summary>Replaces the node's published document; returns the path written.</summary>
    Task<string> PublishAsync(NodeFactsDocument facts, CancellationToken cancellationToken);
}
