using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Placement;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Commands;

/// <summary>
/// <c>fix --strategy placement</c>: binds the request, calls the placement use cases (Application/Placement), renders
/// what they return (<see cref="PlacementText"/>, <see cref="PlacementJson"/>) and maps it to the exit code.
/// </summary>
public static partial class FixCommand
{
    private static async Task<int> PlanPlacementAsync(CommandContext ctx, PlacementRequest request, IFixStore store, CancellationToken cancellationToken)
    {
        var writer = CompositionRoot.HaWriter(ctx.Settings, () => ctx.Sources);
        if (request.Apply && writer is null)
        {
            throw new UsageException("fix --apply " + NeedsApi);
        }

        var planned = await PlacementPlanning.PlanAsync(ctx.CreatePipeline(), request, writer, store, ctx.Environment.Clock, ctx.Log, cancellationToken).ConfigureAwait(false);
        if (planned.GroupsNotMigrated)
        {
            return ctx.Exit(ExitCodes.Unsafe, "the HA groups have not been migrated to rules yet (Proxmox VE 9 does it once every node runs 9): no rule can be created now");
        }

        var plan = planned.Plan!;
        var placement = planned.Placement!;
        var changes = planned.Changes;
        var others = planned.Others;
        if (ctx.Settings.Format != OutputFormat.Json)
        {
            TextOf(ctx).WritePlan(placement, planned.Saved ? store.Location : null);
        }

        if (request.Apply && changes.Count > 0)
        {
            var applied = await PlacementApplying.ApplyAsync(plan, writer!, CompositionRoot.PlacementUndoStore(ctx.Settings), ctx.Log, cancellationToken).ConfigureAwait(false);
            return ReportPlacement(ctx, applied);
        }

        var exitCode = changes.Count > 0 || others.Count > 0 ? ExitCodes.Unsafe : ExitCodes.Ok;
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(PlacementJson.Plan(placement, null, exitCode));
        }

        if (changes.Count > 0)
        {
            var next = planned.Saved
                ? $"run `proxclmc-guard fix --apply {plan.Id}` to write exactly this plan (within {Durations.Text(ctx.Settings.Config.Fix.PlanMaxAge)})"
                : ctx.Settings.From is not null
                    ? "a dry run from --from: nothing saved" + (request.SavePlan is null ? "" : $" but {request.SavePlan}")
                    : !planned.Writable
                        ? "nothing saved: writing HA rules needs the Proxmox API ([api] url in the config)" + (request.SavePlan is null ? "" : $"; the plan is in {request.SavePlan}")
                        : "the plan could not be saved; run `proxclmc-guard fix --strategy placement --apply` with the same options to plan and write in one step";
            return ctx.Exit(ExitCodes.Unsafe, $"{Names.Count(changes.Count, planned.UsesRules ? "HA rule" : "HA group")} to create (plan {plan.Id}); {next}{OthersText(others)}");
        }

        return others.Count > 0
            ? ctx.Exit(ExitCodes.Unsafe, $"nothing to place; unsafe guests left as they are: {Ids(others)}")
            : ExitCodes.Ok;
    }

    /// <summary>
    /// <c>fix --apply &lt;plan-id&gt;</c> of a saved placement plan, once <c>fix</c> has checked its age, its cluster and
    /// that it was not applied before: exactly the plan's rules or groups, while the HA configuration is as planned.
    /// </summary>
    private static async Task<int> ApplySavedPlacementAsync(CommandContext ctx, FixPlan plan, IFixStore store, CancellationToken cancellationToken)
    {
        var writer = CompositionRoot.HaWriter(ctx.Settings, () => ctx.Sources)
            ?? throw new UsageException("fix --apply " + NeedsApi);
        PlacementApplying.CheckSaved(plan);
        if (ctx.Settings.Format != OutputFormat.Json)
        {
            TextOf(ctx).WritePlan(plan.Placement!, store.Location);
        }

        var applied = await PlacementApplying.ApplyAsync(plan, writer, CompositionRoot.PlacementUndoStore(ctx.Settings), ctx.Log, cancellationToken).ConfigureAwait(false);
        return ReportPlacement(ctx, applied);
    }

    private static int ReportPlacement(CommandContext ctx, PlacementApplyResult applied)
    {
        var plan = applied.Plan;
        var written = applied.Written;
        var changes = applied.Changes;
        var failed = applied.Failed;
        var conflict = applied.Conflict;
        var others = applied.Others;
        var exitCode = failed is not null ? ExitCodes.Unknown : conflict is not null || others.Count > 0 ? ExitCodes.Unsafe : ExitCodes.Ok;
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(PlacementJson.Plan(applied.Placement, applied.Results, exitCode));
        }
        else
        {
            TextOf(ctx).WriteApplyResults(applied);
        }

        var undoHint = written > 0 ? $"; undo with `proxclmc-guard fix --undo {plan.Id}`" : "";
        if (failed is not null)
        {
            return ctx.Exit(ExitCodes.Unknown, $"VM {failed.Entry.VmId}: {failed.Message}; stopped after {written} of {changes.Count}{undoHint}");
        }

        if (conflict is not null)
        {
            return ctx.Exit(ExitCodes.Unsafe, $"the HA configuration changed since plan {plan.Id} was made ({applied.ChangedFiles}): wrote {written} of {changes.Count}, nothing more; review a new plan (`proxclmc-guard fix --strategy placement`){undoHint}");
        }

        return others.Count > 0
            ? ctx.Exit(ExitCodes.Unsafe, $"wrote {written} of {changes.Count}; unsafe guests left as they are: {Ids(others)}{undoHint}")
            : ExitCodes.Ok;
    }

    private static async Task<int> UndoPlacementAsync(CommandContext ctx, string planId, CancellationToken cancellationToken)
    {
        var writer = CompositionRoot.HaWriter(ctx.Settings, () => ctx.Sources)
            ?? throw new UsageException("fix --undo " + NeedsApi);
        var undone = await PlacementUndoing.UndoAsync(planId, writer, CompositionRoot.PlacementUndoStore(ctx.Settings), ctx.Log, cancellationToken).ConfigureAwait(false);
        var failed = undone.Failed;
        var leftAlone = undone.LeftAlone;
        var exitCode = failed is not null ? ExitCodes.Unknown : leftAlone.Count > 0 ? ExitCodes.Unsafe : ExitCodes.Ok;
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(PlacementJson.Undo(undone, exitCode));
        }
        else
        {
            TextOf(ctx).WriteUndoResults(undone);
        }

        if (failed is not null)
        {
            return ctx.Exit(ExitCodes.Unknown, $"VM {failed.Record.VmId}: {failed.Message}; stopped");
        }

        return leftAlone.Count > 0
            ? ctx.Exit(ExitCodes.Unsafe, $"left alone (changed since): {Ids(leftAlone)}")
            : ExitCodes.Ok;
    }

    private static PlacementText TextOf(CommandContext ctx) => new(ctx.Out, ctx.Width, ctx.Settings.Verbose);

    private static string OthersText(IReadOnlyList<int> others) =>
        others.Count == 0 ? "" : $"; unsafe guests left as they are (see the plan): {Ids(others)}";
}
