using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Fixes;
using Serilog;

namespace ProxClmc.Guard.Application.Fix;

/// <summary>
/// <c>fix</c> (strategy cpu), the plan: scans the cluster, plans the rewrite of each unsafe guest to a CPU type the
/// nodes can run, and saves the plan (only a plan of the live cluster can be applied later).
/// </summary>
public static class FixPlanning
{
    /// <exception cref="FixTargetException">The target (<c>--to</c> or <c>fix.target</c>) cannot be planned with.</exception>
    public static async Task<FixPlanResult> PlanAsync(GuardPipeline pipeline, FixPlanRequest request, IFixStore store, TimeProvider clock, ILogger log, CancellationToken cancellationToken)
    {
        var result = await pipeline.ScanAsync(cancellationToken).ConfigureAwait(false);
        var baseline = result.Cluster.Baseline;
        if (baseline.IsPartial && !request.AllowPartial)
        {
            return new FixPlanResult(result) { UnreadableNodes = baseline.UnreadableNodes.ToList() };
        }

        var unknownIds = request.Options.VmIds.Where(id => result.Report.Verdicts.All(v => v.Guest.VmId != id)).ToList();
        if (unknownIds.Count > 0)
        {
            return new FixPlanResult(result) { UnknownVmIds = unknownIds };
        }

        // --to best judges each guest on the nodes HA lets it run on, as scan does; the other targets fit every node.
        var best = request.Options.Target.Kind == FixTargetKind.Best;
        var evaluator = new ComplianceEvaluator(baseline, pipeline.Catalog, pipeline.Settings.Policy, result.CustomModels, best ? result.Ha : null);
        var planner = new FixPlanner(evaluator, baseline, pipeline.Catalog, request.Options, result.CustomModels, best ? result.Ha : null);

        var now = clock.GetUtcNow();
        var plan = planner.Plan(result.Report, FixPlan.NewId(now, Random.Shared.Next(0x10000)), now) with
        {
            Cluster = result.Cluster.Membership.ClusterName,
            Source = result.Cluster.SourceDescription,
            Request = request.Description,
        };

        var saved = plan.ChangeEntries().Any() && !request.DryRun && Save(store, plan, mustSucceed: request.Apply, log);
        if (request.SavePlan is { } file)
        {
            store.ExportPlan(file, plan);
        }

        return new FixPlanResult(result) { Plan = plan, Planner = planner, Saved = saved };
    }

    /// <summary>
    /// Saves a plan in the store. A plan to be applied in this run must be saved (its undo records go next to it); a
    /// plan only shown is still shown when it cannot be saved, with a warning.
    /// </summary>
    public static bool Save(IFixStore store, FixPlan plan, bool mustSucceed, ILogger log)
    {
        try
        {
            store.SavePlan(plan);
            return true;
        }
        catch (Exception e) when (!mustSucceed && e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Plan {PlanId} not saved to {UndoDir}: {Error}", plan.Id, store.Location, e.Message);
            return false;
        }
    }
}
