using System.Text.Json;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Infrastructure.Facts;

/// <summary>
/// <c>facts.cache_file</c>: each node's last readable facts with time and source, for fast checks (the hook) and as
/// "last known" facts with <c>--allow-partial</c>. A missing or corrupt cache is never fatal: it is treated as empty.
/// </summary>
public sealed class FactsCache
{
    public const int SchemaVersion = 1;

    private readonly Dictionary<string, CachedNode> _nodes;
    private readonly List<string> _warnings = [];
    private readonly Lock _lock = new();

    private FactsCache(string path, Dictionary<string, CachedNode> nodes)
    {
        Path = path;
        _nodes = nodes;
    }

    public string Path { get; }

    /// <summary>Why (part of) the cache was ignored, one line each.</summary>
    public IReadOnlyList<string> Warnings
    {
        get
        {
            lock (_lock)
            {
                return [.. _warnings];
            }
        }
    }

    public IReadOnlyCollection<string> Nodes
    {
        get
        {
            lock (_lock)
            {
                return [.. _nodes.Keys];
            }
        }
    }

    public static FactsCache Load(string path)
    {
        var cache = new FactsCache(path, new Dictionary<string, CachedNode>(StringComparer.Ordinal));
        try
        {
            if (!File.Exists(path))
            {
                return cache;
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (stream.Length > InputLimits.MaxCpuInfoBytes)
            {
                cache._warnings.Add($"facts cache {path} is larger than {InputLimits.MaxCpuInfoBytes} bytes; ignored");
                return cache;
            }

            // Read with Utf8JsonReader (FactsCacheReader), not the serializer: on the hook's path its metadata cost more than the file.
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            var document = FactsCacheReader.Read(bytes);
            if (document is null || document.SchemaVersion != SchemaVersion || document.Nodes is null)
            {
                cache._warnings.Add($"facts cache {path} has an unknown format (schemaVersion {document?.SchemaVersion}); ignored");
                return cache;
            }

            foreach (var (name, node) in document.Nodes)
            {
                if (node?.Cpu is null || node.Cpu.Architecture is null || node.Cpu.VendorId is null || node.Cpu.ModelName is null ||
                    node.Cpu.Flags is null || !Enum.TryParse<FactsSource>(node.Source, ignoreCase: true, out _))
                {
                    cache._warnings.Add($"facts cache {path}: entry for node {name} is incomplete; ignored");
                    continue;
                }

                cache._nodes[name] = node;
            }
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            cache._warnings.Add($"facts cache {path} cannot be read ({OneLine(ex.Message)}); ignored");
            cache._nodes.Clear();
        }

        return cache;
    }

    /// <summary>Records fresh readable facts; unreadable, stale and cached facts leave the node's last entry as it was.</summary>
    public void Update(IEnumerable<NodeFacts> facts, Func<string, string?>? identityOf = null)
    {
        lock (_lock)
        {
            foreach (var f in facts)
            {
                if (f.Cpu is null || f.IsStale || f.Source == FactsSource.Cache || f.CollectedAt is null)
                {
                    continue;
                }

                _nodes[f.Node] = new CachedNode
                {
                    Source = f.Source.ToString().ToLowerInvariant(),
                    Address = f.Address,
                    CollectedAt = f.CollectedAt.Value,
                    Cpu = CachedCpu.From(f.Cpu),
                    Identity = identityOf?.Invoke(f.Node),
                };
            }
        }
    }

    /// <summary>
    /// The cached facts of a node, no older than <paramref name="maxAge"/> (null: any age), as <see cref="FactsSource.Cache"/> facts
    /// with their original collection time.
    /// </summary>
    public bool TryGet(string node, TimeSpan? maxAge, DateTimeOffset now, out NodeFacts facts)
    {
        CachedNode? entry;
        lock (_lock)
        {
            _nodes.TryGetValue(node, out entry);
        }

        // facts.max_age_seconds = 0 means the cache is never used (not "only facts from this very second").
        if (entry is null || (maxAge is { } limit && (limit <= TimeSpan.Zero || now - entry.CollectedAt > limit)))
        {
            facts = null!;
            return false;
        }

        facts = NodeFacts.Readable(node, entry.Cpu!.ToCpuInfo(), FactsSource.Cache, entry.Address ?? "", entry.CollectedAt);
        return true;
    }

    /// <summary>
    /// Like <see cref="TryGet"/>, but only when the entry was recorded for the same machine: a node reinstalled on new
    /// hardware under its old name has a new host key, and must not inherit the old CPU. An entry without an identity,
    /// or a node whose identity is not known now, never stands in.
    /// </summary>
    public bool TryGetSameMachine(string node, string? identity, TimeSpan? maxAge, DateTimeOffset now, out NodeFacts facts)
    {
        string? recorded;
        lock (_lock)
        {
            recorded = _nodes.TryGetValue(node, out var entry) ? entry?.Identity : null;
        }

        if (identity is null || recorded is null || !string.Equals(identity, recorded, StringComparison.Ordinal))
        {
            facts = null!;
            return false;
        }

        return TryGet(node, maxAge, now, out facts);
    }

    /// <summary>The source a cached node's facts were originally read from.</summary>
    public FactsSource? OriginalSource(string node)
    {
        lock (_lock)
        {
            return _nodes.TryGetValue(node, out var e) && Enum.TryParse<FactsSource>(e.Source, true, out var s) ? s : null;
        }
    }

    /// <summary>Writes the cache atomically: a temporary file in the same folder, flushed to disk, then renamed over the old one.</summary>
    public Task SaveAsync(CancellationToken cancellationToken = default)
    {
        FactsCacheDocument document;
        lock (_lock)
        {
            document = new FactsCacheDocument
            {
                SchemaVersion = SchemaVersion,
                Nodes = new SortedDictionary<string, CachedNode?>(_nodes.ToDictionary(p => p.Key, p => (CachedNode?)p.Value), StringComparer.Ordinal),
            };
        }

        var full = System.IO.Path.GetFullPath(Path);
        var directory = System.IO.Path.GetDirectoryName(full)!;

        // The state directory belongs to the package (and the units' StateDirectory=): a run on a machine without
        // it keeps no cache rather than creating /var/lib/proxclmc-guard with the wrong owner and mode.
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"{directory}: no such directory; the facts cache is not kept");
        }

        // Through AtomicFile: random temporary name, O_EXCL|O_NOFOLLOW, mode 0640 on the handle, rename in the opened folder.
        // Written synchronously into memory (a few KB) by FactsCacheWriter, the serializer's format without its metadata.
        // Not flushed to disk before the rename: the rename alone keeps readers from ever seeing half a file,
        // and after a power loss a cache that lost its last write (or reads as corrupt) is ignored and rebuilt by the
        // next run, so the run does not wait for the disk.
        cancellationToken.ThrowIfCancellationRequested();
        var bytes = FactsCacheWriter.Write(document);
        IO.AtomicFile.WriteAllBytes(full, bytes, IO.AtomicFile.Mode0640, durable: false);
        return Task.CompletedTask;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
