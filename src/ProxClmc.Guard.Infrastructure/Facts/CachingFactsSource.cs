using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Infrastructure.Facts;

/// <summary>Records every fresh answer of <paramref name="inner"/> in the facts cache and, when asked, stands in last known facts for failed nodes.</summary>
public sealed class CachingFactsSource(INodeFactsSource inner, FactsCache cache, TimeProvider time, CachingOptions? options = null) : INodeFactsSource
{
    private readonly CachingOptions _options = options ?? new CachingOptions();
    private readonly List<string> _warnings = [];

    /// <summary>Problems with the cache itself (could not be written), one line each; they never fail a run.</summary>
    public IReadOnlyList<string> Warnings => [.. _warnings];

    public async Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken)
    {
        var facts = await inner.GetFactsAsync(membership, cancellationToken).ConfigureAwait(false);
        var fresh = facts.Where(f => f.Cpu is not null && !f.IsStale && f.Source != FactsSource.Cache).ToList();
        if (fresh.Count > 0)
        {
            cache.Update(fresh, _options.IdentityOf);
            try
            {
                await cache.SaveAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _warnings.Add($"facts cache {cache.Path} could not be written ({ex.Message})");
            }
        }

        if (!_options.OfferLastKnown)
        {
            return facts;
        }

        var now = time.GetUtcNow();
        return facts
            .Select(f => f.Cpu is null && cache.TryGetSameMachine(f.Node, _options.IdentityOf?.Invoke(f.Node), _options.MaxAge, now, out var last)
                ? last with { IsStale = true, Address = f.Address.Length > 0 ? f.Address : last.Address }
                : f)
            .ToList();
    }
}
