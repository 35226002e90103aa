namespace ProxClmc.Guard.Infrastructure.Facts;

/// <summary>How <see cref="CachingFactsSource"/> treats nodes that could not be read now.</summary>
public sealed record CachingOptions
{
    /// <summary>Offer a failed node's last known facts (marked stale) instead of its error: what <c>--allow-partial</c> asks for.</summary>
    public bool OfferLastKnown { get; init; }

    /// <summary>Last known facts older than this are not offered (null: any age; zero: never; <c>facts.max_age_seconds</c>).</summary>
    public TimeSpan? MaxAge { get; init; }

    /// <summary>
    /// The identity of the machine behind a node name as known without reading the node (its SSH host key from
    /// Proxmox's known_hosts). Recorded with fresh facts; last known facts stand in only when both agree.
    /// </summary>
    public Func<string, string?>? IdentityOf { get; init; }
}
