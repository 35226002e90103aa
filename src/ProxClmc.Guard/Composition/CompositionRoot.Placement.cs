using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Infrastructure.Proxmox;

namespace ProxClmc.Guard.Composition;

/// <summary>The adapters of <c>fix --strategy placement</c>: the HA writer and the placement undo records.</summary>
internal static partial class CompositionRoot
{
    /// <summary>
    /// Writes HA rules or groups through the Proxmox API the run reads from; null when the run reads a snapshot
    /// (<c>--from</c>) or /etc/pve without [api]: such a plan is only shown.
    /// </summary>
    /// <param name="sources">The run's sources, asked for only when the run does not read a snapshot.</param>
    public static IHaWriter? HaWriter(RunSettings settings, Func<ClusterSources> sources) =>
        settings.From is null && sources().Resources is ProxmoxClient client ? new ApiHaWriterAdapter(new ApiHaWriter(client)) : null;

    /// <summary>Placement undo records under <c>fix.undo_dir</c>, next to the plans.</summary>
    public static IPlacementUndoStore PlacementUndoStore(RunSettings settings) => new PlacementUndoFile(settings.Config.Fix.UndoDir);
}
