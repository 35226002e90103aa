using ProxClmc.Guard.Core.Facts;

namespace ProxClmc.Guard.Application.OwnFacts;

/// <summary>What the <c>facts</c> verb found: the facts, and where they were published (null when not asked to).</summary>
public sealed record FactsResult(NodeFactsDocument Facts, string? PublishedTo);
