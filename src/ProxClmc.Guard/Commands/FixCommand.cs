using System.CommandLine;
using System.Globalization;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Fix;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Application.Placement;
using ProxClmc.Guard.Pipeline;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Commands;

/// <summary>
/// <c>fix</c>: plans (default) or applies the rewrite of unsafe guests to a CPU type every node can run;
/// <c>fix --undo &lt;plan-id&gt;</c> puts back what a plan changed.
/// Exit codes: 0 nothing to do, or everything applied or undone; 2 unsafe guests remain (a plan not yet applied,
/// guests the plan skips, conflicts, VMs changed since); 3 a write or read failed; 64 usage; 78 configuration.
/// </summary>
public static partial class FixCommand
{
    private const string NeedsApi = "needs the Proxmox API ([api] url in the config); --from snapshots are read-only";

    public static Command Create(GuardCli cli)
    {
        var vmid = new Option<int[]>("--vmid") { Description = "Only these VM ids (repeatable)", HelpName = "id" };
        var to = new Option<string?>("--to") { Description = "Rewrite to this model (must be within the baseline; also rewrites custom models). Default: fix.target", HelpName = "model" };
        var apply = new Option<string?>("--apply")
        {
            Description = "Write exactly the saved plan <plan-id> through the Proxmox API; without an id, plan with the filters given, show the plan, and write it",
            HelpName = "plan-id",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var savePlan = new Option<string?>("--save-plan") { Description = "Also write the plan to this file (a dry run from --from writes nothing else)", HelpName = "file" };
        var includeRunning = new Option<bool>("--include-running") { Description = "Also rewrite running VMs: the change waits in [PENDING] until the next cold start" };
        var fixPhysBits = new Option<bool>("--fix-phys-bits") { Description = "Replace phys-bits=host by the narrowest node's physical address width" };
        var undo = new Option<string?>("--undo") { Description = "Restore the old cpu of every VM this plan changed, unless changed since", HelpName = "plan-id" };
        var strategy = new Option<string?>("--strategy") { Description = "cpu (default: lower the cpu) or placement (pin HA guests with a strict HA rule to the nodes that can run them)", HelpName = "cpu|placement" };
        strategy.AcceptOnlyFromAmong("cpu", "placement");
        var allowSingleNode = new Option<bool>("--allow-single-node") { Description = "With --strategy placement: also pin guests only one node can run (HA then cannot recover them)" };
        var command = new Command("fix", "Plan (default) or apply safe rewrites of unsafe guests to a CPU type every node can run");
        foreach (var option in new Option[] { vmid, to, apply, includeRunning, fixPhysBits, undo, savePlan, strategy, allowSingleNode })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) => cli.RunAsync(parse, ctx => ExecuteAsync(
            ctx,
            new FixRequest
            {
                VmIds = parse.GetValue(vmid) ?? [],
                To = parse.GetValue(to),
                Apply = parse.GetResult(apply) is not null && parse.GetValue(apply) is null,
                ApplyPlanId = parse.GetValue(apply),
                SavePlan = parse.GetValue(savePlan),
                Description = Describe(parse, vmid, to, includeRunning, fixPhysBits),
                IncludeRunning = parse.GetValue(includeRunning),
                FixPhysBits = parse.GetValue(fixPhysBits),
                Undo = parse.GetValue(undo),
                Placement = (parse.GetValue(strategy) ?? ctx.Settings.Config.Fix.Strategy) == "placement",
                Strategy = parse.GetValue(strategy),
                AllowSingleNode = parse.GetValue(allowSingleNode),
            },
            CompositionRoot.FixStore(ctx.Settings),
            ct)));
        return command;
    }

    public static Task<int> ExecuteAsync(CommandContext ctx, FixRequest request, IFixStore store, CancellationToken cancellationToken)
    {
        if (ctx.Settings.Format == OutputFormat.Prometheus)
        {
            throw new UsageException("fix --format prometheus: a plan has no metrics; use table or json");
        }

        var filtered = request.To is not null || request.VmIds.Count > 0 || request.IncludeRunning || request.FixPhysBits || request.SavePlan is not null;
        if (request.Undo is { } planId)
        {
            if (request.Apply || request.ApplyPlanId is not null || filtered)
            {
                throw new UsageException("fix --undo takes only the plan id");
            }

            return CompositionRoot.PlacementUndoStore(ctx.Settings).Has(planId)
                ? UndoPlacementAsync(ctx, planId, cancellationToken)
                : UndoAsync(ctx, planId, store, cancellationToken);
        }

        if (request.ApplyPlanId is { } applyId)
        {
            if (filtered || request.AllowSingleNode)
            {
                throw new UsageException($"fix --apply {applyId} takes only the plan id: the plan fixes which VMs and values are written (make a new plan to change them)");
            }

            return ApplySavedAsync(ctx, applyId, request.Strategy, store, cancellationToken);
        }

        if (request.Placement && (request.To is not null || request.IncludeRunning || request.FixPhysBits))
        {
            throw new UsageException("fix --strategy placement changes no cpu: --to, --include-running and --fix-phys-bits do not apply");
        }

        return request.Placement
            ? PlanPlacementAsync(
                ctx,
                new PlacementRequest { VmIds = request.VmIds, Apply = request.Apply, SavePlan = request.SavePlan, Description = request.Description, AllowSingleNode = request.AllowSingleNode },
                store,
                cancellationToken)
            : PlanAsync(ctx, request, store, cancellationToken);
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

        var options = new FixOptions
        {
            Target = request.To is { } model ? (model == "best" ? FixTarget.Best : FixTarget.Model(model)) : FixTarget.Parse(ctx.Settings.Config.Fix.Target),
            RewriteCustomModels = request.To is not null,
            IncludeRunning = request.IncludeRunning || ctx.Settings.Config.Fix.IncludeRunning,
            FixPhysBits = request.FixPhysBits,
            VmIds = request.VmIds,
        };

        // Only a plan of the live cluster can be applied later; a dry run from --from writes nothing unless asked to.
        var dryRun = ctx.Settings.From is not null;
        FixPlanResult planned;
        try
        {
            planned = await FixPlanning.PlanAsync(
                pipeline,
                new FixPlanRequest { Options = options, Description = request.Description, Apply = request.Apply, DryRun = dryRun, SavePlan = request.SavePlan, AllowPartial = ctx.Settings.AllowPartial },
                store,
                ctx.Environment.Clock,
                ctx.Log,
                cancellationToken).ConfigureAwait(false);
        }
        catch (FixTargetException e) when (request.To is not null)
        {
            var known = pipeline.Catalog.TryGetModel(request.To, out _) || request.To is "best" or "level" or "named";
            throw new UsageException("--to " + e.Message + (known ? "" : CommandLineErrors.Suggest(request.To, pipeline.Catalog.Models.Select(m => m.Name))));
        }
        catch (FixTargetException e)
        {
            throw new GuardExitException(ExitCodes.Configuration, "fix.target: " + e.Message);
        }

        if (planned.UnreadableNodes.Count > 0)
        {
            throw new GuardExitException(ExitCodes.Unknown, $"could not read {string.Join(", ", planned.UnreadableNodes)}: a fix needs every node's CPU (use --allow-partial to plan against the others)");
        }

        if (planned.UnknownVmIds.Count > 0)
        {
            throw new UsageException($"--vmid {string.Join(", ", planned.UnknownVmIds)}: no such guest in the cluster");
        }

        var result = planned.Scan;
        var plan = planned.Plan!;
        var changes = planned.Changes;
        var saved = planned.Saved;
        var json = ctx.Settings.Format == OutputFormat.Json;
        if (!json)
        {
            new TableRenderer(ctx.Out, ctx.Environment.OutputWidth, shorten: !ctx.Settings.Verbose).WriteBaseline(result.Cluster);
            FixTables.WritePlan(ctx.Out, ctx.Environment.OutputWidth, plan, saved ? store.Location : null, shorten: !ctx.Settings.Verbose, FixUndoing.OldValueRefusal(pipeline.Catalog, result.CustomModels));
        }

        var unsafeSkips = planned.UnsafeSkips;
        if (!request.Apply || changes.Count == 0)
        {
            var exitCode = changes.Count > 0 || unsafeSkips.Count > 0 ? ExitCodes.Unsafe : ExitCodes.Ok;
            if (json)
            {
                ctx.Out.Write(FixReport.Render(plan, request.Apply ? [] : null, exitCode));
            }

            if (changes.Count > 0)
            {
                var next = saved
                    ? $"run `proxclmc-guard fix --apply {plan.Id}` to write exactly these changes (within {Duration(ctx.Settings.Config.Fix.PlanMaxAge)})"
                    : dryRun
                        ? "a dry run from --from: nothing saved" + (request.SavePlan is null ? "" : $" but {request.SavePlan}")
                        : "the plan could not be saved; run `proxclmc-guard fix --apply` with the same options to plan and write in one step";
                throw new GuardExitException(ExitCodes.Unsafe, $"{Guests(changes.Count)} to rewrite (plan {plan.Id}); {next}" + SkipsText(unsafeSkips));
            }

            return unsafeSkips.Count > 0
                ? throw new GuardExitException(ExitCodes.Unsafe, (request.Apply ? "nothing to apply" : "nothing the plan can rewrite") + SkipsText(unsafeSkips))
                : ExitCodes.Ok;
        }

        var applied = await FixApplying.ApplyAsync(plan, planned.Planner, pipeline.Sources.Writer!, store, ctx.Environment.Clock, ctx.Log, cancellationToken).ConfigureAwait(false);
        return Report(ctx, applied);
    }

    /// <summary>
    /// <c>fix --apply &lt;plan-id&gt;</c>: exactly the saved plan's VMs and values, each guarded by its digest; for a
    /// placement plan, exactly its rules or groups, guarded by the HA configuration's digests.
    /// </summary>
    private static async Task<int> ApplySavedAsync(CommandContext ctx, string planId, string? strategy, IFixStore store, CancellationToken cancellationToken)
    {
        if (!FixPlan.IsValidId(planId))
        {
            throw new UsageException($"--apply {planId}: not a plan id (like 20261123-130501-ab12; plans are in {store.Location})");
        }

        if (ctx.Settings.From is not null)
        {
            throw new UsageException("fix --apply " + NeedsApi);
        }

        var writer = ctx.Sources.Writer ?? throw new UsageException("fix --apply " + NeedsApi);
        var plan = store.LoadPlan(planId)
            ?? throw new UsageException($"--apply {planId}: no such plan in {store.Location}");
        if (plan.Strategy is not ("cpu" or "placement"))
        {
            throw new UsageException($"--apply {planId}: a '{plan.Strategy}' plan needs a version of proxclmc-guard that knows that strategy");
        }

        if (strategy is not null && strategy != plan.Strategy)
        {
            throw new UsageException($"--apply {planId}: this is a '{plan.Strategy}' plan, not '{strategy}' (the plan says what it writes: leave out --strategy)");
        }

        var age = ctx.Environment.Clock.GetUtcNow() - plan.CreatedAt;
        var maxAge = ctx.Settings.Config.Fix.PlanMaxAge;
        if (age > maxAge)
        {
            throw new UsageException($"--apply {planId}: the plan is {Duration(age)} old, older than fix.plan_max_age_seconds ({Duration(maxAge)}); make a new plan with `proxclmc-guard fix{(plan.Strategy == "placement" ? " --strategy placement" : "")}`");
        }

        if (age < -TimeSpan.FromMinutes(5))
        {
            throw new UsageException($"--apply {planId}: the plan is dated {plan.CreatedAt:u}, in the future of this machine's clock; make a new plan");
        }

        if (store.ReadUndo(planId) is not null || CompositionRoot.PlacementUndoStore(ctx.Settings).Has(planId))
        {
            throw new UsageException($"--apply {planId}: this plan was applied already (undo it with `proxclmc-guard fix --undo {planId}`, or make a new plan)");
        }

        var membership = await ctx.Sources.Membership.GetMembershipAsync(cancellationToken).ConfigureAwait(false);
        if (!string.Equals(plan.Cluster, membership.ClusterName, StringComparison.Ordinal))
        {
            throw new UsageException($"--apply {planId}: the plan was made against cluster '{plan.Cluster ?? "(none)"}', this is cluster '{membership.ClusterName ?? "(none)"}'");
        }

        if (plan.Strategy == "placement")
        {
            return await ApplySavedPlacementAsync(ctx, plan, store, cancellationToken).ConfigureAwait(false);
        }

        if (ctx.Settings.Format != OutputFormat.Json)
        {
            FixTables.WritePlan(ctx.Out, ctx.Environment.OutputWidth, plan, store.Location, shorten: !ctx.Settings.Verbose);
        }

        // Every planned value is judged again against the cluster as it is now, as the plan run judged it.
        var pipeline = ctx.CreatePipeline();
        var now = await pipeline.ScanAsync(cancellationToken).ConfigureAwait(false);
        if (now.Cluster.Baseline.IsPartial && !ctx.Settings.AllowPartial)
        {
            throw new GuardExitException(ExitCodes.Unknown, $"could not read {string.Join(", ", now.Cluster.Baseline.UnreadableNodes)}: judging the plan's values again needs every node's CPU (use --allow-partial to judge against the others)");
        }

        var judge = new ComplianceEvaluator(now.Cluster.Baseline, pipeline.Catalog, ctx.Settings.Policy, now.CustomModels, plan.Target == "best" ? now.Ha : null);
        var guests = now.Report.Verdicts.Select(v => v.Guest).GroupBy(g => g.VmId).ToDictionary(g => g.Key, g => g.First());
        var applied = await FixApplying.ApplyAsync(plan, planner: null, writer, store, ctx.Environment.Clock, ctx.Log, cancellationToken, judge, guests).ConfigureAwait(false);
        return Report(ctx, applied);
    }

    private static int Report(CommandContext ctx, FixApplyResult applied)
    {
        var plan = applied.Plan;
        var results = applied.Results;
        var changes = plan.ChangeEntries().ToList();
        var failed = applied.Failed;
        var left = applied.LeftUnsafe;
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(FixReport.Render(plan, results, failed is not null ? ExitCodes.Unknown : left.Count > 0 ? ExitCodes.Unsafe : ExitCodes.Ok));
        }
        else
        {
            FixTables.WriteApplyResults(ctx.Out, ctx.Environment.OutputWidth, plan, results, shorten: !ctx.Settings.Verbose);
        }

        var undoHint = applied.Applied > 0 ? $"; undo with `proxclmc-guard fix --undo {plan.Id}`" : "";
        if (failed is not null)
        {
            throw new GuardExitException(ExitCodes.Unknown, $"VM {failed.Entry.VmId}: {failed.Message}; stopped after {applied.Applied} of {Rendering.Names.Count(changes.Count, "change")}{undoHint}");
        }

        if (left.Count > 0)
        {
            var conflicts = applied.Conflicts;
            var conflictText = conflicts.Count > 0 ? $"; conflicts (changed by someone else): {Ids(conflicts)}" : "";
            throw new GuardExitException(ExitCodes.Unsafe, $"applied {applied.Applied} of {Rendering.Names.Count(changes.Count, "change")}{conflictText}; still unsafe: {Ids(left)}{undoHint}");
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
        var membership = await ctx.Sources.Membership.GetMembershipAsync(cancellationToken).ConfigureAwait(false);
        var undone = await FixUndoing.UndoAsync(planId, membership.ClusterName, ctx.Sources.Guests, writer, store, ctx.Log, cancellationToken).ConfigureAwait(false);
        if (undone.OtherCluster is { } other)
        {
            throw new UsageException($"--undo {planId}: {other}");
        }

        var results = undone.Results
            ?? throw new UsageException($"--undo {planId}: no undo file for this plan in {store.Location} (was it applied?)");
        if (results.Count == 0)
        {
            ctx.Out.Write(ctx.Settings.Format == OutputFormat.Json ? FixUndoReport.Render(planId, [], ExitCodes.Ok) : $"Plan {planId} wrote nothing: nothing to undo.\n");
            return ExitCodes.Ok;
        }

        var restored = undone.Restored;
        var failed = undone.Failed;
        var leftAlone = undone.LeftAlone;
        var notRestorable = undone.NotRestorable;
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(FixUndoReport.Render(planId, results, failed is not null ? ExitCodes.Unknown : leftAlone.Count > 0 ? ExitCodes.Unsafe : notRestorable.Count > 0 ? ExitCodes.Warning : ExitCodes.Ok));
        }
        else
        {
            FixTables.WriteUndoResults(ctx.Out, ctx.Environment.OutputWidth, planId, results, shorten: !ctx.Settings.Verbose);
        }

        if (failed is not null)
        {
            throw new GuardExitException(ExitCodes.Unknown, $"VM {failed.Record.VmId}: {failed.Message}; {restored} of {Rendering.Names.Count(results.Count, "VM")} restored");
        }

        if (leftAlone.Count > 0)
        {
            throw new GuardExitException(ExitCodes.Unsafe, $"{restored} of {Rendering.Names.Count(results.Count, "VM")} restored; left alone (changed since, locked or gone): {Ids(leftAlone)}");
        }

        return notRestorable.Count > 0
            ? throw new GuardExitException(ExitCodes.Warning, $"{restored} of {Rendering.Names.Count(results.Count, "VM")} restored; not restorable: " + string.Join("; ", notRestorable.Select(r => $"VM {r.Record.VmId}: {r.Message}")))
            : ExitCodes.Ok;
    }

    /// <summary>The filters and options as typed, kept in the plan for whoever reads it later.</summary>
    private static string Describe(ParseResult parse, Option<int[]> vmid, Option<string?> to, Option<bool> includeRunning, Option<bool> fixPhysBits)
    {
        var parts = new List<string>();
        parts.AddRange((parse.GetValue(vmid) ?? []).Select(id => "--vmid " + id.ToString(CultureInfo.InvariantCulture)));
        if (parse.GetValue(to) is { } model)
        {
            parts.Add("--to " + model);
        }

        if (parse.GetValue(includeRunning))
        {
            parts.Add("--include-running");
        }

        if (parse.GetValue(fixPhysBits))
        {
            parts.Add("--fix-phys-bits");
        }

        return string.Join(' ', parts);
    }

    private static string Duration(TimeSpan span) => Durations.Text(span);

    private static string Guests(int count) => Rendering.Names.Count(count, "guest");

    private static string Ids(IEnumerable<int> ids) => string.Join(", ", ids.Select(i => i.ToString(CultureInfo.InvariantCulture)));

    private static string SkipsText(IReadOnlyList<int> skipped) =>
        skipped.Count == 0 ? "" : $"; {Guests(skipped.Count)} unsafe but not rewritten (see Reason): {Ids(skipped)}";
}
