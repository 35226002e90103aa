using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Infrastructure.Proxmox;

namespace ProxClmc.Guard.Composition;

/// <summary>The adapters of <c>fix</c> (plan, apply, undo), placement, snapshot and custom model.</summary>
internal static partial class CompositionRoot
{
    /// <summary>Plans and undo records under <c>fix.undo_dir</c>.</summary>
    public static IFixStore FixStore(RunSettings settings) => new FileFixStore(settings.Config.Fix.UndoDir);

    /// <summary>Writes HA rules or groups through the Proxmox API (<c>fix --strategy placement</c>).</summary>
    public static ApiHaWriter HaWriter(ProxmoxClient client) => new(client);
}
