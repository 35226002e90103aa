using System.Text;
using ProxClmc.Guard.Application.Ports;

namespace ProxClmc.Guard.Application.Snapshot;

/// <summary>
/// <c>snapshot --out &lt;dir&gt;</c>: DESIGN.md's offline format from the run's sources (or a copy of a <c>--from</c>
/// tree), so that a later <c>scan --from &lt;dir&gt;</c> gives the live verdicts. The folder is prepared before anything
/// is read; a run that fails before its manifest is written leaves no half snapshot behind.
/// </summary>
public sealed class SnapshotTaking(ISnapshotFolders folders, ISnapshotCollector collector, TimeProvider clock)
{
    public async Task<SnapshotResult> TakeAsync(SnapshotRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var folder = folders.Prepare(request.OutDir);
        SnapshotContents collected;
        byte[] manifest;
        try
        {
            collected = await collector.CollectAsync(folder, cancellationToken).ConfigureAwait(false);
            manifest = SnapshotManifest.Render(clock.GetUtcNow(), request.ToolVersion, collected.Sources, collected.Nodes, collected.GuestFailures);
            folder.WriteManifest(manifest);
        }
        catch
        {
            // No source, a refused name, a cancelled run: no half snapshot a later scan --from could take for whole.
            folder.Discard();
            throw;
        }

        var complete = collected.Nodes.All(n => n.Error is null) && collected.GuestFailures.Count == 0;
        var outcome = complete ? SnapshotOutcome.Complete : request.AllowPartial ? SnapshotOutcome.Partial : SnapshotOutcome.Incomplete;
        return new SnapshotResult(folder.Root, collected, Encoding.UTF8.GetString(manifest), outcome);
    }
}
