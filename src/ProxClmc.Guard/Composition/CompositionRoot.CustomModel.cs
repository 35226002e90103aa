using ProxClmc.Guard.Application.CustomModel;
using ProxClmc.Guard.Cli;

namespace ProxClmc.Guard.Composition;

/// <summary>The adapters of <c>baseline --custom-model</c>.</summary>
internal static partial class CompositionRoot
{
    /// <summary>The custom model use case: the run's pipeline and target, plans under <c>fix.undo_dir</c>.</summary>
    public static CustomModelMaking CustomModel(CommandContext ctx) => new(
        ctx.Settings,
        () => ctx.CreatePipeline(),
        () => ctx.Sources,
        new FileCustomModelPlanStore(ctx.Settings.Config.Fix.UndoDir),
        ctx.Environment.Clock,
        ctx.Log);
}
