using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Facts;
using ProxClmc.Guard.Application.OwnFacts;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Core.Facts;
using ProxClmc.Guard.Hosting;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Infrastructure.Snapshot;

namespace ProxClmc.Guard.Composition;

/// <summary>The adapters of the <c>facts</c> verb and of the one node-facts resolver every verb reads node facts through.</summary>
internal static partial class CompositionRoot
{
    /// <summary>The freshness and trust rules of node facts, the same for every verb from the same settings.</summary>
    public static NodeFactsRules FactsRules(RunSettings settings, string localNode) => new()
    {
        LocalNode = localNode,
        PublishedMaxAge = settings.CacheMaxAge,
        OfferLastKnown = settings.AllowPartial,
        LastKnownMaxAge = settings.CacheMaxAge,
    };

    /// <summary>The resolver of a live run: <paramref name="ports"/> with the facts cache of facts.cache_file, when one is set.</summary>
    public static NodeFactsResolver FactsResolver(RunSettings settings, IFileSystem fileSystem, TimeProvider clock, string localNode, NodeFactsPorts ports) => new(
        ports with { Cache = ports.Cache ?? (settings.CacheFile is { Length: > 0 } path ? new FileFactsCache(path, fileSystem, settings.PveRoot) : null) },
        FactsRules(settings, localNode),
        clock);

    /// <summary>
    /// Node facts of a snapshot or /etc/pve tree (<c>--from</c>): its cpuinfo files, the documents it carries, this
    /// host's own reading for its own node; no live source and no cache.
    /// </summary>
    public static NodeFactsResolver TreeFacts(PveTree tree, string localNode, string localCpuInfo, IFileSystem fileSystem, TimeProvider clock, TimeSpan publishedMaxAge) => new(
        new NodeFactsPorts
        {
            Snapshot = new SnapshotTreeFacts(tree),
            Published = new PublishedFactsTree(fileSystem, tree.Root, null),
            Own = new OwnCpuInfoReading(fileSystem, localCpuInfo, clock, null),
        },
        new NodeFactsRules { LocalNode = localNode, PublishedMaxAge = publishedMaxAge },
        clock);

    /// <summary>The <c>facts</c> use case: this host's files and QEMU, published under pve_root.</summary>
    public static FactsUseCase Facts(RunSettings settings, CliEnvironment environment) => new(
        new CollectedOwnFacts(new NodeFactsCollector(
            environment.FileSystem,
            environment.LocalPaths with { CpuInfo = settings.LocalCpuInfo },
            environment.QemuProbe?.Invoke(settings.QemuBinary),
            environment.Clock)),
        new PmxcfsFactsPublisher(settings.PveRoot, PublishedFacts.OwnWritePath(settings.CacheFile)));

    /// <summary>The daemon's republishing of this node's facts before each scan.</summary>
    public static FactsRepublisher FactsRepublisher(RunSettings settings, CliEnvironment environment, Serilog.ILogger log) => new(
        new NodeFactsCollector(environment.FileSystem, environment.LocalPaths with { CpuInfo = settings.LocalCpuInfo }, environment.QemuProbe?.Invoke(settings.QemuBinary), environment.Clock),
        environment.FileSystem,
        environment.Clock,
        log);

    private sealed class CollectedOwnFacts(NodeFactsCollector collector) : IOwnFactsReader
    {
        public Task<NodeFactsDocument> ReadAsync(string node, CancellationToken cancellationToken) => collector.CollectAsync(node, cancellationToken);
    }

    private sealed class PmxcfsFactsPublisher(string pveRoot, string? ownWriteFile) : IFactsPublisher
    {
        public Task<string> PublishAsync(NodeFactsDocument facts, CancellationToken cancellationToken) =>
            PublishedFacts.PublishAsync(pveRoot, facts, cancellationToken, ownWriteFile);
    }
}
