using ProxClmc.Guard.Core.Fixes;

namespace ProxClmc.Guard.Application.Fix;

/// <summary>What writing a plan did, VM by VM, and what that leaves unsafe.</summary>
/// <param name="UnsafeSkips">Unsafe guests the plan itself does not rewrite.</param>
public sealed record FixApplyResult(FixPlan Plan, IReadOnlyList<ApplyResult> Results, IReadOnlyList<int> UnsafeSkips)
{
    public int Applied => Results.Count(r => r.Outcome == ApplyOutcome.Applied);

    /// <summary>The write that failed and stopped the run, if any.</summary>
    public ApplyResult? Failed => Results.FirstOrDefault(r => r.Outcome == ApplyOutcome.Failed);

    /// <summary>The VMs still unsafe after the run: not written, and the plan's own skips.</summary>
    public IReadOnlyList<int> LeftUnsafe => Results.Where(r => r.LeavesUnsafe).Select(r => r.Entry.VmId).Concat(UnsafeSkips).Distinct().ToList();

    /// <summary>The VMs someone else changed since the plan.</summary>
    public IReadOnlyList<int> Conflicts => Results.Where(r => r.Outcome == ApplyOutcome.Conflict).Select(r => r.Entry.VmId).ToList();
}
