using ProxClmc.Guard.Application.ToCluster;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Configuration;
using ProxClmc.Guard.Core.Catalog;

namespace ProxClmc.Guard.Composition;

/// <summary>The adapters of <c>--to-cluster</c> (<c>scan</c>, <c>check</c>, <c>baseline</c>).</summary>
internal static partial class CompositionRoot
{
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
}
