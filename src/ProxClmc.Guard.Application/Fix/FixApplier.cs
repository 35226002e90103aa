using System.Net.Http;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Sources;
using Serilog;

namespace ProxClmc.Guard.Application.Fix;

public enum ApplyOutcome
{
    /// <summary>Written (for a running VM: waiting in [PENDING] until the next cold start).</summary>
    Applied,

    /// <summary>Someone changed the VM since the plan and the fresh plan differs, or the retry failed: left alone.</summary>
    Conflict,

    /// <summary>Not written: locked now, or safe now because someone else changed it.</summary>
    Skipped,

    /// <summary>The write failed; the run stops here.</summary>
    Failed,

    /// <summary>Not tried because an earlier write failed.</summary>
    NotAttempted,
}

/// <summary>What happened to one planned change.</summary>
public sealed record ApplyResult(FixPlanEntry Entry, ApplyOutcome Outcome, string Message, bool Pending = false)
{
    /// <summary>The VM is still unsafe after this run.</summary>
    public bool LeavesUnsafe { get; init; } = Outcome != ApplyOutcome.Applied;
}

/// <summary>
/// Writes a plan's changes through the Proxmox API, one VM at a time, each guarded by the digest it was planned
/// against. Stops at the first failed write (an API error usually means something every later write would hit too:
/// permissions, a node or the cluster filesystem down); what was written stays recorded in the undo file.
/// With a planner (plan and apply in one run), a VM whose digest changed is planned once more and written when the
/// answer is the same; without one (a saved, reviewed plan), a VM that changed since the plan is a conflict.
/// </summary>
public sealed class FixApplier(IGuestWriter writer, IFixStore store, FixPlanner? planner, TimeProvider clock, ILogger log)
{
    private string? _cluster;

    /// <summary>
    /// For a saved plan: the cluster as it is now. Every planned value is judged again against it before it is
    /// written, as the planner judged it: one that is not safe now (the baseline went down, or the file says
    /// something no plan run would have written) is a conflict, left alone.
    /// </summary>
    public ComplianceEvaluator? Judge { get; init; }

    /// <summary>Each guest as the run read it now (with <see cref="Judge"/>).</summary>
    public IReadOnlyDictionary<int, GuestConfig> Guests { get; init; } = new Dictionary<int, GuestConfig>();

    public async Task<IReadOnlyList<ApplyResult>> ApplyAsync(FixPlan plan, CancellationToken cancellationToken)
    {
        _cluster = plan.Cluster;
        var results = new List<ApplyResult>();
        var failed = false;
        foreach (var entry in plan.ChangeEntries())
        {
            if (failed)
            {
                results.Add(new ApplyResult(entry, ApplyOutcome.NotAttempted, "not attempted: an earlier write failed"));
                continue;
            }

            var result = await ApplyOneAsync(plan.Id, entry, cancellationToken).ConfigureAwait(false);
            failed = result.Outcome == ApplyOutcome.Failed;
            results.Add(result);
        }

        return results;
    }

    private Task<ApplyResult> ApplyOneAsync(string planId, FixPlanEntry entry, CancellationToken cancellationToken) =>
        entry.Action switch
        {
            FixAction.Change => ApplyCpuChangeAsync(planId, entry, cancellationToken),
            _ => Task.FromResult(new ApplyResult(entry, ApplyOutcome.Failed, $"this version cannot apply a '{entry.Action}' action")),
        };

    private async Task<ApplyResult> ApplyCpuChangeAsync(string planId, FixPlanEntry entry, CancellationToken cancellationToken)
    {
        if (entry.Digest is null)
        {
            return new ApplyResult(entry, ApplyOutcome.Failed, "no config digest to guard the write (plans from --from snapshots cannot be applied)");
        }

        if (Judge is not null && NotSafeNow(Judge, entry) is { } why)
        {
            return new ApplyResult(entry, ApplyOutcome.Conflict, why);
        }

        var first = await WriteAsync(planId, entry, entry.OldCpu, entry.Digest, cancellationToken).ConfigureAwait(false);
        switch (first.Outcome)
        {
            case WriteOutcome.Written:
                return Applied(planId, entry, entry.OldCpu, first);
            case WriteOutcome.Locked:
                return new ApplyResult(entry, ApplyOutcome.Skipped, "locked now: " + (first.Message ?? "VM is locked"));
            case WriteOutcome.Failed:
                return new ApplyResult(entry, ApplyOutcome.Failed, "write failed: " + (first.Message ?? "unknown error"));
        }

        // Digest mismatch: someone changed the VM after we planned. Never retry blindly: plan it again as it is now.
        GuestConfig? fresh;
        try
        {
            fresh = await writer.ReadGuestAsync(entry.Node, entry.VmId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SourceUnavailableException or HttpRequestException or IOException)
        {
            return new ApplyResult(entry, ApplyOutcome.Failed, "changed since the plan, and reading it again failed: " + e.Message);
        }

        if (fresh is null)
        {
            return new ApplyResult(entry, ApplyOutcome.Conflict, $"changed since the plan and no longer on {entry.Node}; re-run fix");
        }

        // Taking a lock (backup, migrate, ...) rewrites the config too, so a lock shows up as a digest mismatch first.
        if (fresh.Lock is { } lockValue)
        {
            return new ApplyResult(entry, ApplyOutcome.Skipped, $"locked now: VM is locked ({lockValue})");
        }

        if (planner is null)
        {
            var now = FixUndoer.Effective(fresh);
            return new ApplyResult(entry, ApplyOutcome.Conflict, string.Equals(now, entry.OldCpu, StringComparison.Ordinal)
                ? "changed since the plan (its config digest differs); review a new plan"
                : $"changed since the plan: cpu is now {now ?? "(none)"}; review a new plan");
        }

        var replanned = planner.PlanGuest(fresh);
        if (replanned.Action != FixAction.Change)
        {
            return replanned.LeavesUnsafe
                ? new ApplyResult(entry, ApplyOutcome.Conflict, "changed since the plan: " + replanned.Reason)
                : new ApplyResult(entry, ApplyOutcome.Skipped, "now safe (changed by someone else since the plan): " + replanned.Reason) { LeavesUnsafe = false };
        }

        if (!string.Equals(replanned.NewCpu, entry.NewCpu, StringComparison.Ordinal) || !string.Equals(replanned.OldCpu, entry.OldCpu, StringComparison.Ordinal))
        {
            return new ApplyResult(entry, ApplyOutcome.Conflict, $"changed since the plan: cpu is now {replanned.OldCpu ?? "(none)"}, a new plan would write {replanned.NewCpu}; re-run fix");
        }

        var retry = await WriteAsync(planId, entry, replanned.OldCpu, replanned.Digest ?? "", cancellationToken).ConfigureAwait(false);
        return retry.Outcome switch
        {
            WriteOutcome.Written => Applied(planId, entry with { Digest = replanned.Digest }, replanned.OldCpu, retry),
            WriteOutcome.DigestMismatch => new ApplyResult(entry, ApplyOutcome.Conflict, "changed again while retrying; left alone, re-run fix"),
            WriteOutcome.Locked => new ApplyResult(entry, ApplyOutcome.Skipped, "locked now: " + (retry.Message ?? "VM is locked")),
            _ => new ApplyResult(entry, ApplyOutcome.Failed, "write failed: " + (retry.Message ?? "unknown error")),
        };
    }

    private string? NotSafeNow(ComplianceEvaluator judge, FixPlanEntry entry)
    {
        if (!Guests.TryGetValue(entry.VmId, out var guest))
        {
            return "no longer in the cluster; review a new plan";
        }

        var verdict = judge.EvaluateCpuValue(guest, entry.NewCpu);
        return verdict.Verdict == Verdict.Ok
            ? null
            : $"the planned value {entry.NewCpu} is not safe in this cluster now ({verdict.Verdict.Name()}: {verdict.Reason}); not written, review a new plan";
    }

    private async Task<WriteResult> WriteAsync(string planId, FixPlanEntry entry, string? oldCpu, string digest, CancellationToken cancellationToken)
    {
        store.AppendUndo(planId, new FixUndoRecord
        {
            VmId = entry.VmId,
            Node = entry.Node,
            OldCpu = oldCpu,
            NewCpu = entry.NewCpu!,
            Time = clock.GetUtcNow(),
            Cluster = _cluster,
        });
        WriteResult result;
        try
        {
            result = await writer.SetCpuAsync(entry.Node, entry.VmId, entry.NewCpu!, digest, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SourceUnavailableException or HttpRequestException or IOException)
        {
            result = new WriteResult(WriteOutcome.Failed, e.Message);
        }

        if (result.Outcome != WriteOutcome.Written)
        {
            // Refused or failed: say so in the undo file, so undo does not take the VM for one this plan changed.
            store.AppendUndo(planId, new FixUndoRecord
            {
                VmId = entry.VmId,
                Node = entry.Node,
                OldCpu = oldCpu,
                NewCpu = entry.NewCpu!,
                Time = clock.GetUtcNow(),
                Cluster = _cluster,
                Written = false,
            });
        }

        return result;
    }

    private ApplyResult Applied(string planId, FixPlanEntry entry, string? oldCpu, WriteResult written)
    {
        var pending = entry.Pending || written.Pending;
        log.ForContext("PROXCLMC_VMID", entry.VmId)
            .ForContext("PROXCLMC_NODE", entry.Node)
            .ForContext("PROXCLMC_CPU", entry.NewCpu)
            .ForContext("PROXCLMC_OLD_CPU", oldCpu ?? "")
            .ForContext("PROXCLMC_PLAN", planId)
            .Information(
                "VM {VmId} on {Node}: cpu {OldCpu} -> {NewCpu}{Pending} (plan {PlanId})",
                entry.VmId,
                entry.Node,
                oldCpu ?? "(none, kvm64)",
                entry.NewCpu,
                pending ? ", pending until the next cold start" : "",
                planId);
        return new ApplyResult(entry, ApplyOutcome.Applied, pending ? "written to [PENDING]: waits for the next cold start (stop/start)" : "written", pending);
    }
}
