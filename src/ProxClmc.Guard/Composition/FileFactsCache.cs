using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Composition;

/// <summary>
/// The facts cache file (facts.cache_file), loaded on first use, with each node's identity taken from the host key
/// Proxmox keeps for it in <c>&lt;pve_root&gt;/nodes/&lt;node&gt;/ssh_known_hosts</c>.
/// </summary>
internal sealed class FileFactsCache(string path, IFileSystem fileSystem, string pveRoot) : IFactsCacheStore
{
    private readonly Lazy<FactsCache> _cache = new(() => FactsCache.Load(path));

    public async Task<string?> RecordAsync(IReadOnlyList<NodeFacts> fresh, CancellationToken cancellationToken)
    {
        var cache = _cache.Value;
        cache.Update(fresh, NodeIdentity);
        try
        {
            await cache.SaveAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"facts cache {cache.Path} could not be written ({ex.Message})";
        }
    }

    public bool TryGetSameMachine(string node, TimeSpan? maxAge, DateTimeOffset now, out NodeFacts facts) =>
        _cache.Value.TryGetSameMachine(node, NodeIdentity(node), maxAge, now, out facts);

    /// <summary>
    /// Which machine a node name stands for now, known without reaching it: the host key Proxmox keeps for it in
    /// <c>&lt;pve_root&gt;/nodes/&lt;node&gt;/ssh_known_hosts</c> (rewritten when a node is reinstalled and rejoined).
    /// Null off a node or when the file has no usable key: then no cached facts stand in for it.
    /// </summary>
    private string? NodeIdentity(string node)
    {
        if (node is "." or ".." || node.Contains('/', StringComparison.Ordinal))
        {
            return null;
        }

        var knownHosts = Path.Combine(pveRoot, "nodes", node, "ssh_known_hosts");
        try
        {
            if (!fileSystem.FileExists(knownHosts))
            {
                return null;
            }

            var keys = Infrastructure.Ssh.KnownHosts.Parse(fileSystem.ReadAllText(knownHosts, FileLimits.ForPmxcfs), knownHosts).Entries
                .Where(e => e.Marker == Infrastructure.Ssh.KnownHostMarker.None)
                .Select(e => Infrastructure.Ssh.HostKeys.Fingerprint(e.KeyBlob))
                .Order(StringComparer.Ordinal)
                .ToList();
            return keys.Count == 0 ? null : "ssh-host-key:" + string.Join(",", keys);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
