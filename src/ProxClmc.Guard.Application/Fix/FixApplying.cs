using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Core.Sources;
using Serilog;

namespace ProxClmc.Guard.Application.Fix;

/// <summary>
/// <c>fix --apply</c> (strategy cpu): writes a plan's changes, each guarded by its digest (<see cref="FixApplier"/>).
/// With the planner of the same run, a VM changed since is planned again; a saved plan is written exactly as reviewed.
/// </summary>
public static class FixApplying
{
    public static async Task<FixApplyResult> ApplyAsync(FixPlan plan, FixPlanner? planner, IGuestWriter writer, IFixStore store, TimeProvider clock, ILogger log, CancellationToken cancellationToken)
    {
        var results = await new FixApplier(writer, store, planner, clock, log).ApplyAsync(plan, cancellationToken).ConfigureAwait(false);
        return new FixApplyResult(plan, results, plan.UnsafeSkips().Select(e => e.VmId).ToList());
    }
}
