using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Facts;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>
/// The facts each node publishes about itself under one tree (<c>nodes/&lt;node&gt;/proxclmc-guard/facts.json</c> in
/// pmxcfs, or in a snapshot). Never throws for a missing or damaged document: it is then absent.
/// </summary>
public interface IPublishedFacts
{
    /// <summary>
    /// The node's document as facts when present, readable and fresh (no older than <paramref name="maxAge"/> and not
    /// dated in the future; null: any age, as in a snapshot); otherwise null.
    /// </summary>
    NodeFacts? TryRead(ClusterNode node, DateTimeOffset now, TimeSpan? maxAge, FactsSource source);

    /// <summary>The node's document, whatever its age, or null.</summary>
    NodeFactsDocument? TryReadDocument(string node);

    /// <summary>True when the node's document is byte for byte what this node last published itself.</summary>
    bool IsOwnWrite(string node);

    /// <summary>Where the node's document is, relative to the tree (for messages).</summary>
    string Where(string node);
}
