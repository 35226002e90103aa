namespace ProxClmc.Guard.Application.OwnFacts;

/// <summary>The <c>facts</c> verb: this node's facts, and whether to publish them.</summary>
/// <param name="Node">This node's name (cluster.local_node, or the host's short name).</param>
public sealed record FactsRequest(string Node, bool Publish);
