using System.CommandLine;
using System.Globalization;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Fixes;
using ProxClmc.Guard.Pipeline;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Commands;

/// <summary>What the administrator asked <c>fix</c> for.</summary>
public sealed record FixRequest
{
    public IReadOnlyList<int> VmIds { get; init; } = [];

    /// <summary><c>--to</c>: an explicit target model (also allows rewriting custom models).</summary>
    public string? To { get; init; }

    public bool Apply { get; init; }

    public bool IncludeRunning { get; init; }

    public bool FixPhysBits { get; init; }

    /// <summary><c>--undo &lt;plan-id&gt;</c>.</summary>
    public string? Undo { get; init; }

    /// <summary><c>--strategy placement</c>: pin HA guests with strict rules instead of lowering their cpu.</summary>
    public bool Placement { get; init; }

    /// <summary><c>--allow-single-node</c>: a placement rule may have a single node.</summary>
    public bool AllowSingleNode { get; init; }
}

/// <summary>
/// <c>fix</c>: plans (default) or applies the rewrite of unsafe guests to a CPU type every node can run;
/// <c>fix --undo &lt;plan-id&gt;</c> puts back what a plan changed.
/// Exit codes: 0 nothing to do, or everything applied or undone; 2 unsafe guests remain (a plan not yet applied,
/// guests the plan skips, conflicts, VMs changed since); 3 a write or read failed; 64 usage; 78 configuration.
/// </summary>
public static class FixCommand
{
    private const string NeedsApi = "needs the Proxmox API ([api] url in the config); --from snapshots are read-only";

    public static Command Create(GuardCli cli)
    {
        var vmid = new Option<int[]>("--vmid") { Description = "Only these VM ids (repeatable)", HelpName = "id" };
        var to = new Option<string?>("--to") { Description = "Rewrite to this model (must be within the baseline; also rewrites custom models). Default: fix.target", HelpName = "model" };
        var apply = new Option<bool>("--apply") { Description = "Write the planned changes through the Proxmox API (default: only show and save the plan)" };
        var includeRunning = new Option<bool>("--include-running") { Description = "Also rewrite running VMs: the change waits in [PENDING] until the next cold start" };
        var fixPhysBits = new Option<bool>("--fix-phys-bits") { Description = "Replace phys-bits=host by the narrowest node's physical address width" };
        var undo = new Option<string?>("--undo") { Description = "Restore the old cpu of every VM this plan changed, unless changed since", HelpName = "plan-id" };
        var strategy = new Option<string?>("--strategy") { Description = "cpu (default: lower the cpu) or placement (pin HA guests with a strict HA rule to the nodes that can run them)", HelpName = "cpu|placement" };
        strategy.AcceptOnlyFromAmong("cpu", "placement");
        var allowSingleNode = new Option<bool>("--allow-single-node") { Description = "With --strategy placement: also pin guests only one node can run (HA then cannot recover them)" };
        var command = new Command("fix", "Plan (default) or apply safe rewrites of unsafe guests to a CPU type every node can run");
        foreach (var option in new Option[] { vmid, to, apply, includeRunning, fixPhysBits, undo, strategy, allowSingleNode })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) => cli.RunAsync(parse, ctx => ExecuteAsync(
            ctx,
            new FixRequest
            {
                VmIds = parse.GetValue(vmid) ?? [],
                To = parse.GetValue(to),
                Apply = parse.GetValue(apply),
                IncludeRunning = parse.GetValue(includeRunning),
                FixPhysBits = parse.GetValue(fixPhysBits),
                Undo = parse.GetValue(undo),
                Placement = (parse.GetValue(strategy) ?? ctx.Settings.Config.Fix.Strategy) == "placement",
                AllowSingleNode = parse.GetValue(allowSingleNode),
            },
            new FileFixStore(ctx.Settings.Config.Fix.UndoDir),
            ct)));
        return command;
    }

    public static Task<int> ExecuteAsync(CommandContext ctx, FixRequest request, IFixStore store, CancellationToken cancellationToken)
    {
        if (ctx.Settings.Format == OutputFormat.Prometheus)
        {
            throw new UsageException("fix --format prometheus: a plan has no metrics; use table or json");
        }

        if (request.Undo is { } planId)
        {
            if (request.Apply || request.To is not null || request.VmIds.Count > 0 || request.IncludeRunning || request.FixPhysBits)
            {
                throw new UsageException("fix --undo takes only the plan id");
            }

            return PlacementFix.HasUndo(ctx.Settings.Config.Fix.UndoDir, planId)
                ? PlacementFix.UndoAsync(ctx, planId, cancellationToken)
                : UndoAsync(ctx, planId, store, cancellationToken);
        }

        return request.Placement ? PlacementFix.PlanAsync(ctx, request, cancellationToken) : PlanAsync(ctx, request, store, cancellationToken);
    }

    private static async Task<int> PlanAsync(CommandContext ctx, FixRequest request, IFixStore store, CancellationToken cancellationToken)
    {
        if (request.Apply && ctx.Settings.From is not null)
        {
            throw new UsageException("fix --apply " + NeedsApi);
        }

        var pipeline = ctx.CreatePipeline();
        if (request.Apply && pipeline.Sources.Writer is null)
        {
            throw new UsageException("fix --apply " + NeedsApi);
        }

        var result = await pipeline.ScanAsync(cancellationToken).ConfigureAwait(false);
        var baseline = result.Cluster.Baseline;
        if (baseline.IsPartial && !ctx.Settings.AllowPartial)
        {
            throw new GuardExitException(ExitCodes.Unknown, $"could not read {string.Join(", ", baseline.UnreadableNodes)}: a fix needs every node's CPU (use --allow-partial to plan against the others)");
        }

        var unknownIds = request.VmIds.Where(id => result.Report.Verdicts.All(v => v.Guest.VmId != id)).ToList();
        if (unknownIds.Count > 0)
        {
            throw new UsageException($"--vmid {string.Join(", ", unknownIds)}: no such guest in the cluster");
        }

        var options = new FixOptions
        {
            Target = request.To is { } model ? FixTarget.Model(model) : FixTarget.Parse(ctx.Settings.Config.Fix.Target),
            RewriteCustomModels = request.To is not null,
            IncludeRunning = request.IncludeRunning || ctx.Settings.Config.Fix.IncludeRunning,
            FixPhysBits = request.FixPhysBits,
            VmIds = request.VmIds,
        };
        var evaluator = new ComplianceEvaluator(baseline, pipeline.Catalog, ctx.Settings.Policy, result.CustomModels);
        FixPlanner planner;
        try
        {
            planner = new FixPlanner(evaluator, baseline, pipeline.Catalog, options);
        }
        catch (FixTargetException e) when (request.To is not null)
        {
            throw new UsageException("--to " + e.Message);
        }
        catch (FixTargetException e)
        {
            throw new GuardExitException(ExitCodes.Configuration, "fix.target: " + e.Message);
        }

        var now = ctx.Environment.Clock.GetUtcNow();
        var plan = planner.Plan(result.Report, FixPlan.NewId(now, Random.Shared.Next(0x10000)), now);
        var changes = plan.ChangeEntries().ToList();
        var saved = changes.Count > 0 && Save(ctx, store, plan, mustSucceed: request.Apply);

        var json = ctx.Settings.Format == OutputFormat.Json;
        if (!json)
        {
            new TableRenderer(ctx.Out, ctx.Environment.OutputWidth).WriteBaseline(result.Cluster);
            FixTables.WritePlan(ctx.Out, ctx.Environment.OutputWidth, plan, saved ? store.Location : null);
        }

        var unsafeSkips = plan.UnsafeSkips().Select(e => e.VmId).ToList();
        if (!request.Apply || changes.Count == 0)
        {
            var exitCode = changes.Count > 0 || unsafeSkips.Count > 0 ? ExitCodes.Unsafe : ExitCodes.Ok;
            if (json)
            {
                ctx.Out.Write(FixReport.Render(plan, request.Apply ? [] : null, exitCode));
            }

            if (changes.Count > 0)
            {
                throw new GuardExitException(ExitCodes.Unsafe, $"{Guests(changes.Count)} to rewrite (plan {plan.Id}); run `proxclmc-guard fix --apply` to write them" + SkipsText(unsafeSkips));
            }

            return unsafeSkips.Count > 0
                ? throw new GuardExitException(ExitCodes.Unsafe, (request.Apply ? "nothing to apply" : "nothing the plan can rewrite") + SkipsText(unsafeSkips))
                : ExitCodes.Ok;
        }

        var applier = new FixApplier(pipeline.Sources.Writer!, store, planner, ctx.Environment.Clock, ctx.Log);
        var results = await applier.ApplyAsync(plan, cancellationToken).ConfigureAwait(false);
        var applied = results.Count(r => r.Outcome == ApplyOutcome.Applied);
        var failed = results.FirstOrDefault(r => r.Outcome == ApplyOutcome.Failed);
        var left = results.Where(r => r.LeavesUnsafe).Select(r => r.Entry.VmId).Concat(unsafeSkips).Distinct().ToList();
        if (json)
        {
            ctx.Out.Write(FixReport.Render(plan, results, failed is not null ? ExitCodes.Unknown : left.Count > 0 ? ExitCodes.Unsafe : ExitCodes.Ok));
        }
        else
        {
            FixTables.WriteApplyResults(ctx.Out, ctx.Environment.OutputWidth, plan, results);
        }

        var undoHint = applied > 0 ? $"; undo with `proxclmc-guard fix --undo {plan.Id}`" : "";
        if (failed is not null)
        {
            throw new GuardExitException(ExitCodes.Unknown, $"VM {failed.Entry.VmId}: {failed.Message}; stopped after {applied} of {changes.Count} changes{undoHint}");
        }

        if (left.Count > 0)
        {
            var conflicts = results.Where(r => r.Outcome == ApplyOutcome.Conflict).Select(r => r.Entry.VmId).ToList();
            var conflictText = conflicts.Count > 0 ? $"; conflicts (changed by someone else): {Ids(conflicts)}" : "";
            throw new GuardExitException(ExitCodes.Unsafe, $"applied {applied} of {changes.Count} changes{conflictText}; still unsafe: {Ids(left)}{undoHint}");
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> UndoAsync(CommandContext ctx, string planId, IFixStore store, CancellationToken cancellationToken)
    {
        if (!FixPlan.IsValidId(planId))
        {
            throw new UsageException($"--undo {planId}: not a plan id (like 20261123-130501-ab12; see {store.Location})");
        }

        if (ctx.Settings.From is not null)
        {
            throw new UsageException("fix --undo " + NeedsApi);
        }

        var writer = ctx.Sources.Writer ?? throw new UsageException("fix --undo " + NeedsApi);
        var records = store.ReadUndo(planId)
            ?? throw new UsageException($"--undo {planId}: no undo file for this plan in {store.Location} (was it applied?)");
        if (records.Count == 0)
        {
            ctx.Out.Write(ctx.Settings.Format == OutputFormat.Json ? FixUndoReport.Render(planId, [], ExitCodes.Ok) : $"Plan {planId} wrote nothing: nothing to undo.\n");
            return ExitCodes.Ok;
        }

        // VMs may have migrated since the fix: write where each one is now.
        var inventory = await ctx.Sources.Guests.GetGuestsAsync(cancellationToken).ConfigureAwait(false);
        var nodes = inventory.Guests.GroupBy(g => g.VmId).ToDictionary(g => g.Key, g => g.First().Node);
        var results = await new FixUndoer(writer, ctx.Log).UndoAsync(planId, records, nodes, cancellationToken).ConfigureAwait(false);
        var restored = results.Count(r => r.Outcome is UndoOutcome.Restored or UndoOutcome.AlreadyRestored);
        var failed = results.FirstOrDefault(r => r.Outcome == UndoOutcome.Failed);
        var leftAlone = results.Where(r => r.Outcome is UndoOutcome.ChangedSince or UndoOutcome.Skipped).Select(r => r.Record.VmId).ToList();
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(FixUndoReport.Render(planId, results, failed is not null ? ExitCodes.Unknown : leftAlone.Count > 0 ? ExitCodes.Unsafe : ExitCodes.Ok));
        }
        else
        {
            FixTables.WriteUndoResults(ctx.Out, ctx.Environment.OutputWidth, planId, results);
        }

        if (failed is not null)
        {
            throw new GuardExitException(ExitCodes.Unknown, $"VM {failed.Record.VmId}: {failed.Message}; {restored} of {results.Count} VMs restored");
        }

        return leftAlone.Count > 0
            ? throw new GuardExitException(ExitCodes.Unsafe, $"{restored} of {results.Count} VMs restored; left alone (changed since, locked or gone): {Ids(leftAlone)}")
            : ExitCodes.Ok;
    }

    private static bool Save(CommandContext ctx, IFixStore store, FixPlan plan, bool mustSucceed)
    {
        try
        {
            store.SavePlan(plan);
            return true;
        }
        catch (Exception e) when (!mustSucceed && e is IOException or UnauthorizedAccessException)
        {
            ctx.Log.Warning("Plan {PlanId} not saved to {UndoDir}: {Error}", plan.Id, store.Location, e.Message);
            return false;
        }
    }

    private static string Guests(int count) => count == 1 ? "1 guest" : $"{count} guests";

    private static string Ids(IEnumerable<int> ids) => string.Join(", ", ids.Select(i => i.ToString(CultureInfo.InvariantCulture)));

    private static string SkipsText(IReadOnlyList<int> skipped) =>
        skipped.Count == 0 ? "" : $"; {Guests(skipped.Count)} unsafe but not rewritten (see Reason): {Ids(skipped)}";
}
