using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Application.Snapshot;
using ProxClmc.Guard.Cli;

namespace ProxClmc.Guard.Composition;

/// <summary>The adapters of <c>snapshot</c>.</summary>
internal static partial class CompositionRoot
{
    /// <summary>The <c>snapshot</c> use case: the run's sources read into a folder opened by handle (no links followed, files 0600).</summary>
    public static SnapshotTaking Snapshot(CommandContext ctx) => new(
        new SnapshotFolders(),
        new SnapshotCollector(ctx.Settings, () => ctx.Sources, ctx.Environment, ctx.Log),
        ctx.Environment.Clock);

    private sealed class SnapshotFolders : ISnapshotFolders
    {
        public ISnapshotFolder Prepare(string path) => SnapshotFolder.Prepare(path);
    }
}
