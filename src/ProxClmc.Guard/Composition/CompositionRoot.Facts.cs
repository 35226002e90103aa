using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.OwnFacts;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Core.Facts;
using ProxClmc.Guard.Hosting;
using ProxClmc.Guard.Infrastructure.Facts;

namespace ProxClmc.Guard.Composition;

/// <summary>The adapters of the <c>facts</c> verb.</summary>
internal static partial class CompositionRoot
{
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
