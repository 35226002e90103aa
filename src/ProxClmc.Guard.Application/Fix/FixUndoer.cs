using System.Net.Http;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Sources;
using Serilog;

namespace ProxClmc.Guard.Application.Fix;

public enum UndoOutcome
{
    /// <summary>The old value is back.</summary>
    Restored,

    /// <summary>The VM already has its old value (the write never happened, or was undone before).</summary>
    AlreadyRestored,

    /// <summary>The plan's write to this VM was refused or failed: nothing of ours to put back.</summary>
    NotWritten,

    /// <summary>Someone changed the cpu after we wrote it: left alone.</summary>
    ChangedSince,

    /// <summary>The VM is gone, locked, or changed during the undo itself: left alone.</summary>
    Skipped,

    Failed,

    /// <summary>
    /// The write took effect and the old value is one Proxmox's API refuses (a cpu it ignored, starting kvm64): it
    /// cannot be put back. The message says what Proxmox ran before and the command that gives that back.
    /// </summary>
    NotRestorable,
}

public sealed record UndoResult(FixUndoRecord Record, UndoOutcome Outcome, string Message, string? CurrentCpu);

/// <summary>
/// Puts back the old <c>cpu</c> of every VM a plan changed, but only where the value is still the one we wrote:
/// a later change by someone else always wins and is reported.
/// </summary>
/// <param name="refusal">Why Proxmox's API refuses a cpu value (null: it accepts it); see <see cref="GuestCpu.VmConfigRejection"/>.</param>
public sealed class FixUndoer(IGuestWriter writer, ILogger log, Func<string, string?>? refusal = null)
{
    /// <summary>What Proxmox's API would answer when the old value is written back; null when it accepts it.</summary>
    public static string? NotRestorable(int vmId, string? oldCpu, Func<string, string?>? refusal) =>
        oldCpu is not null && refusal?.Invoke(oldCpu) is { } why
            ? $"Proxmox refuses the old value ({why}), so it cannot be written back; before the plan Proxmox ignored it and ran kvm64, which `qm set {vmId} --delete cpu` brings back"
            : null;

    /// <summary>
    /// Why these records must not be undone in cluster <paramref name="cluster"/>, or null: records name the cluster
    /// they were written in, and one of another cluster is refused, as <c>fix --apply</c> refuses another cluster's
    /// plan. Records written before the cluster was recorded name none: the plan's cluster stands in for them when the
    /// plan file is still there (<paramref name="planCluster"/>), else they are undone as before.
    /// </summary>
    public static string? OtherCluster(IReadOnlyList<FixUndoRecord> records, string? planCluster, string? cluster)
    {
        var named = records.Select(r => r.Cluster).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (named.Count == 0 && planCluster is not null)
        {
            named.Add(planCluster);
        }

        return named.FirstOrDefault(c => !string.Equals(c, cluster, StringComparison.Ordinal)) is { } other
            ? $"the undo file holds writes to cluster '{other}', this is cluster '{cluster ?? "(none)"}'"
            : null;
    }

    /// <param name="records">The plan's undo records in the order they were written.</param>
    /// <param name="currentNodes">Where each VM is now (VMs migrate); the recorded node is used for the others.</param>
    public async Task<IReadOnlyList<UndoResult>> UndoAsync(string planId, IReadOnlyList<FixUndoRecord> records, IReadOnlyDictionary<int, string> currentNodes, CancellationToken cancellationToken)
    {
        // A VM retried after a digest mismatch has several records: the first holds the value before the plan touched
        // it. An attempt followed by a "not written" record changed nothing. Last written, first undone.
        var perVm = records
            .Select((record, index) => (Record: record, Index: index))
            .GroupBy(x => x.Record.VmId)
            .OrderByDescending(g => g.Last().Index)
            .Select(g => (Record: g.Last().Record with { OldCpu = g.First().Record.OldCpu, Written = null }, MaybeWritten: MaybeWritten(g.Select(x => x.Record).ToList())))
            .ToList();

        var results = new List<UndoResult>();
        foreach (var (record, maybeWritten) in perVm)
        {
            var node = currentNodes.TryGetValue(record.VmId, out var now) ? now : record.Node;
            var result = await UndoOneAsync(planId, record, node, cancellationToken).ConfigureAwait(false);

            // Never written by this plan: whatever the VM holds now is not ours to judge.
            results.Add(!maybeWritten && result.Outcome is UndoOutcome.ChangedSince or UndoOutcome.AlreadyRestored
                ? result with { Outcome = UndoOutcome.NotWritten, Message = "the plan's write was refused or failed: nothing to undo" }
                : result);
        }

        return results;
    }

    private async Task<UndoResult> UndoOneAsync(string planId, FixUndoRecord record, string node, CancellationToken cancellationToken)
    {
        try
        {
            var guest = await writer.ReadGuestAsync(node, record.VmId, cancellationToken).ConfigureAwait(false);
            if (guest is null)
            {
                return new UndoResult(record, UndoOutcome.Skipped, $"VM {record.VmId} is no longer on {node}", null);
            }

            var current = Effective(guest);
            if (string.Equals(current, record.OldCpu, StringComparison.Ordinal))
            {
                return new UndoResult(record, UndoOutcome.AlreadyRestored, "already has its old value", current);
            }

            if (!string.Equals(current, record.NewCpu, StringComparison.Ordinal))
            {
                return new UndoResult(record, UndoOutcome.ChangedSince, $"changed since the fix: cpu is now {current ?? "(none)"}; left alone", current);
            }

            if (guest.Lock is { } lockValue)
            {
                return new UndoResult(record, UndoOutcome.Skipped, $"locked ({lockValue}); run fix --undo again later", current);
            }

            var digest = guest.Digest ?? "";

            // Our value still waits in [PENDING] over the old one: drop it, as `qm set <id> --revert cpu` does. This
            // works whatever the old value is, even one Proxmox would refuse to be written again.
            if (guest.PendingCpu is { } pendingCpu && string.Equals(pendingCpu, record.NewCpu, StringComparison.Ordinal)
                && string.Equals(guest.Cpu, record.OldCpu, StringComparison.Ordinal))
            {
                var reverted = await writer.RevertCpuAsync(node, record.VmId, digest, cancellationToken).ConfigureAwait(false);
                return reverted.Outcome switch
                {
                    WriteOutcome.Written => Logged(planId, record, node, current, "pending change reverted (revert=cpu): the VM keeps its old value"),
                    WriteOutcome.DigestMismatch => new UndoResult(record, UndoOutcome.ChangedSince, "changed while undoing; left alone", current),
                    WriteOutcome.Locked => new UndoResult(record, UndoOutcome.Skipped, "locked: " + (reverted.Message ?? "VM is locked"), current),
                    _ => new UndoResult(record, UndoOutcome.Failed, "revert failed: " + (reverted.Message ?? "unknown error"), current),
                };
            }

            if (NotRestorable(record.VmId, record.OldCpu, refusal) is { } notRestorable)
            {
                return new UndoResult(record, UndoOutcome.NotRestorable, notRestorable, current);
            }

            var written = record.OldCpu is null
                ? await writer.DeleteCpuAsync(node, record.VmId, digest, cancellationToken).ConfigureAwait(false)
                : await writer.SetCpuAsync(node, record.VmId, record.OldCpu, digest, cancellationToken).ConfigureAwait(false);
            switch (written.Outcome)
            {
                case WriteOutcome.Written:
                    var pending = written.Pending;
                    log.ForContext("PROXCLMC_VMID", record.VmId)
                        .ForContext("PROXCLMC_NODE", node)
                        .ForContext("PROXCLMC_CPU", record.OldCpu ?? "")
                        .ForContext("PROXCLMC_OLD_CPU", record.NewCpu)
                        .ForContext("PROXCLMC_PLAN", planId)
                        .Information("VM {VmId} on {Node}: cpu {OldCpu} -> {NewCpu} (undo of plan {PlanId})", record.VmId, node, record.NewCpu, record.OldCpu ?? "(none, kvm64)", planId);
                    return new UndoResult(record, UndoOutcome.Restored, pending ? "restored in [PENDING]: waits for the next cold start" : "restored", current);
                case WriteOutcome.DigestMismatch:
                    return new UndoResult(record, UndoOutcome.ChangedSince, "changed while undoing; left alone", current);
                case WriteOutcome.Locked:
                    return new UndoResult(record, UndoOutcome.Skipped, "locked: " + (written.Message ?? "VM is locked"), current);
                case WriteOutcome.Failed when record.OldCpu is not null && (written.Message ?? "").Contains("Parameter verification failed", StringComparison.Ordinal):
                    // Refused by a Proxmox that knows less than we do (an older release, a custom model gone).
                    return new UndoResult(record, UndoOutcome.NotRestorable, $"Proxmox refuses the old value ({written.Message}), so it cannot be written back; `qm set {record.VmId} --delete cpu` gives the VM kvm64", current);
                default:
                    return new UndoResult(record, UndoOutcome.Failed, "write failed: " + (written.Message ?? "unknown error"), current);
            }
        }
        catch (Exception e) when (e is SourceUnavailableException or HttpRequestException or IOException)
        {
            return new UndoResult(record, UndoOutcome.Failed, e.Message, null);
        }
    }

    private UndoResult Logged(string planId, FixUndoRecord record, string node, string? current, string message)
    {
        log.ForContext("PROXCLMC_VMID", record.VmId)
            .ForContext("PROXCLMC_NODE", node)
            .ForContext("PROXCLMC_CPU", record.OldCpu ?? "")
            .ForContext("PROXCLMC_OLD_CPU", record.NewCpu)
            .ForContext("PROXCLMC_PLAN", planId)
            .Information("VM {VmId} on {Node}: pending cpu {NewCpu} reverted, cpu stays {OldCpu} (undo of plan {PlanId})", record.VmId, node, record.NewCpu, record.OldCpu ?? "(none, kvm64)", planId);
        return new UndoResult(record, UndoOutcome.Restored, message, current);
    }

    /// <summary>True unless every attempt on the VM is followed by a record saying it was not written.</summary>
    private static bool MaybeWritten(IReadOnlyList<FixUndoRecord> records)
    {
        for (var i = 0; i < records.Count; i++)
        {
            if (records[i].Written is null && (i + 1 == records.Count || records[i + 1].Written != false))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The value the VM will run at its next cold start: a pending value (ours, on a running VM) wins.</summary>
    public static string? Effective(GuestConfig guest) =>
        guest.PendingCpuDelete ? null : guest.PendingCpu ?? guest.Cpu;
}
