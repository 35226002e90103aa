using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Application.Snapshot;
using ProxClmc.Guard.Application.ToCluster;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Configuration;
using ProxClmc.Guard.Core.Catalog;

namespace ProxClmc.Guard.Composition;

/// <summary>The adapters of <c>snapshot</c>, <c>history</c>, <c>baseline --custom-model</c> and <c>--to-cluster</c>.</summary>
internal static partial class CompositionRoot
{
    /// <summary>The <c>snapshot</c> use case: the run's sources read into a folder opened by handle (no links followed, files 0600).</summary>
    public static SnapshotTaking Snapshot(CommandContext ctx) => new(
        new SnapshotFolders(),
        new SnapshotCollector(ctx.Settings, () => ctx.Sources, ctx.Environment, ctx.Log),
        ctx.Environment.Clock);

    /// <summary>
    /// <c>--to-cluster</c>: the other cluster read through the same source construction as this one (released with
    /// <paramref name="ctx"/>), a configuration file describing it read as the command line reads its own.
    /// </summary>
    public static ToClusterJudging ToCluster(CommandContext ctx) => new(
        ctx.Settings,
        () => ctx.CreatePipeline(),
        ctx.CreatePipelineFor,
        FileStore(ctx.Environment),
        path => GuardConfigLoader.LoadFile(path, isKnownModel: name => CpuCatalog.Default.TryGetModel(name, out _)),
        ctx.Environment.Clock,
        ctx.Log);

    private sealed class SnapshotFolders : ISnapshotFolders
    {
        public ISnapshotFolder Prepare(string path) => SnapshotFolder.Prepare(path);
    }
}
