using System.Net.Http;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Sources;
using Serilog;

namespace ProxClmc.Guard.Application.Placement;

/// <summary>
/// <c>fix --undo</c> of a placement plan: removes each rule or group the plan wrote, last written first, while it is
/// exactly as written; one changed since is left alone.
/// </summary>
public static class PlacementUndoing
{
    public static async Task<PlacementUndoneResult> UndoAsync(string planId, IHaWriter writer, IPlacementUndoStore undo, ILogger log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(undo);
        ArgumentNullException.ThrowIfNull(log);
        var records = undo.Read(planId);

        // One rule or group per record: a second record saying "not written" cancels the attempt before it.
        // Last written, first removed.
        var perRule = records
            .GroupBy(r => (r.IsRule, r.Id))
            .Select(g => (Record: g.First() with { Written = null }, MaybeWritten: MaybeWritten(g.ToList())))
            .Reverse()
            .ToList();
        var results = new List<PlacementUndoResult>();
        foreach (var (record, maybeWritten) in perRule)
        {
            HaEntryState state;
            try
            {
                state = await writer.StateAsync(record.IsRule, record.Id, record.Sid, record.Nodes, cancellationToken).ConfigureAwait(false);
                if (state == HaEntryState.AsWritten)
                {
                    await writer.RemoveAsync(record.IsRule, record.Id, record.Sid, cancellationToken).ConfigureAwait(false);
                    results.Add(new(record, PlacementUndoOutcome.Removed, $"removed {record.What}"));
                    log.ForContext("PROXCLMC_VMID", record.VmId)
                        .ForContext("PROXCLMC_PLAN", planId)
                        .Information("VM {VmId}: removed {What} (undo of plan {PlanId})", record.VmId, record.What, planId);
                    continue;
                }
            }
            catch (Exception e) when (e is SourceUnavailableException or HttpRequestException or IOException)
            {
                results.Add(new(record, PlacementUndoOutcome.Failed, $"removing {record.What} failed: {e.Message}"));
                break;
            }

            results.Add(!maybeWritten
                ? new(record, PlacementUndoOutcome.NotWritten, $"{record.What} was not written (the write was refused or failed): nothing to undo")
                : state == HaEntryState.Gone
                    ? new(record, PlacementUndoOutcome.AlreadyGone, $"{record.What} is already gone")
                    : new(record, PlacementUndoOutcome.ChangedSince, $"{record.What} was changed since; left alone"));
        }

        return new PlacementUndoneResult(planId, results);
    }

    /// <summary>True unless every attempt is followed by a record saying it was not written.</summary>
    private static bool MaybeWritten(IReadOnlyList<PlacementUndoRecord> records)
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
}
