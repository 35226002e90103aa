using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Pipeline;

namespace ProxClmc.Guard.Hook;

/// <summary>
/// The migration source's CPU for a <c>host</c> guest: its published facts in pmxcfs when fresh, else the state cache
/// when its entry is fresher than
/// <c>facts.max_age_seconds</c> (milliseconds), otherwise over SSH to the node's corosync link addresses.
/// The hook's own deadline cancels the SSH attempt.
/// </summary>
public static class CacheThenSshLookup
{
    /// <param name="ssh">Builds the SSH reader, only when neither published facts nor the cache answer.</param>
    public static SourceFactsLookup Create(RunSettings settings, IFileSystem fileSystem, TimeProvider clock, Func<string> hostName, Func<INodeFactsSource> ssh) => async (node, cancellationToken) =>
    {
        // The source node's own published facts in pmxcfs: local, no SSH, and with QEMU's host expansion.
        if (PublishedFacts.TryRead(fileSystem, settings.PveRoot, new ClusterNode(node, null, []), clock.GetUtcNow(), settings.CacheMaxAge, FactsSource.Published, out _) is { } published)
        {
            return published;
        }

        if (settings.CacheFile is { Length: > 0 } cacheFile && fileSystem.FileExists(cacheFile))
        {
            var cache = FactsCache.Load(cacheFile);
            if (cache.TryGet(node, settings.CacheMaxAge, clock.GetUtcNow(), out var cached))
            {
                return cached;
            }
        }

        var membership = await new Infrastructure.Snapshot.CorosyncFileMembership(settings.CorosyncConf, fileSystem, settings.LocalNode ?? hostName())
            .GetMembershipAsync(cancellationToken).ConfigureAwait(false);
        var member = membership.Nodes.FirstOrDefault(n => n.Name == node);
        if (member is null)
        {
            return NodeFacts.Unreadable(node, "not a member in corosync.conf", FactsSource.Ssh);
        }

        var reader = ssh();
        using var owned = reader as IDisposable;
        var facts = await reader.GetFactsAsync(new ClusterMembership(membership.ClusterName, [member]), cancellationToken).ConfigureAwait(false);
        return facts.FirstOrDefault();
    };
}
