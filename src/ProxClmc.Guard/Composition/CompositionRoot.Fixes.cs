using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Ports;

namespace ProxClmc.Guard.Composition;

/// <summary>The adapters of <c>fix</c> (plan, apply, undo), snapshot and custom model.</summary>
internal static partial class CompositionRoot
{
    /// <summary>Plans and undo records under <c>fix.undo_dir</c>.</summary>
    public static IFixStore FixStore(RunSettings settings) => new FileFixStore(settings.Config.Fix.UndoDir);
}
