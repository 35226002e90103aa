using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Sources;
using Serilog;

namespace ProxClmc.Guard.Application.Fix;

/// <summary>
/// <c>fix --apply</c> (strategy cpu): writes a plan's changes, each guarded by its digest (<see cref="FixApplier"/>).
/// With the planner of the same run, a VM changed since is planned again; a saved plan is written exactly as reviewed.
/// </summary>
public static class FixApplying
{
    /// <param name="judge">Judges every planned value again against the cluster as it is now (a saved plan); null: the plan was made in this run.</param>
    /// <param name="guests">Each guest as this run read it, for <paramref name="judge"/>.</param>
    public static async Task<FixApplyResult> ApplyAsync(
        FixPlan plan,
        FixPlanner? planner,
        IGuestWriter writer,
        IFixStore store,
        TimeProvider clock,
        ILogger log,
        CancellationToken cancellationToken,
        ComplianceEvaluator? judge = null,
        IReadOnlyDictionary<int, GuestConfig>? guests = null)
    {
        var applier = new FixApplier(writer, store, planner, clock, log)
        {
            Judge = judge,
            Guests = guests ?? new Dictionary<int, GuestConfig>(),
        };
        var results = await applier.ApplyAsync(plan, cancellationToken).ConfigureAwait(false);
        return new FixApplyResult(plan, results, plan.UnsafeSkips().Select(e => e.VmId).ToList());
    }
}
