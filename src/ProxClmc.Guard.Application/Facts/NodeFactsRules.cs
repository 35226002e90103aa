namespace ProxClmc.Guard.Application.Facts;

/// <summary>
/// The freshness and trust rules of <see cref="NodeFactsResolver"/>, from the run's settings. Every verb that reads
/// node facts (scan, check, evacuate, fix, baseline, snapshot, the hook) passes the same values for the same settings.
/// </summary>
public sealed record NodeFactsRules
{
    /// <summary>This host's node name ("" when no node of the cluster read is this host, as with --to-cluster).</summary>
    public required string LocalNode { get; init; }

    /// <summary>Published facts are used when no older than this (<c>facts.max_age_seconds</c>); null: not used (facts.source other than auto).</summary>
    public TimeSpan? PublishedMaxAge { get; init; }

    /// <summary>A node that cannot be read now is judged with its last facts from the cache (marked stale): <c>--allow-partial</c>.</summary>
    public bool OfferLastKnown { get; init; }

    /// <summary>Last facts older than this are never offered (<c>facts.max_age_seconds</c>; null: any age; zero: never).</summary>
    public TimeSpan? LastKnownMaxAge { get; init; }
}
