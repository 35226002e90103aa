using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Sources;
using Serilog;

namespace ProxClmc.Guard.Application.Fix;

/// <summary><c>fix --undo &lt;plan-id&gt;</c> (strategy cpu): puts back the old cpu of every VM the plan changed (<see cref="FixUndoer"/>).</summary>
public static class FixUndoing
{
    /// <param name="cluster">The cluster this run reads: another cluster's records are refused (<see cref="FixUndoResult.OtherCluster"/>).</param>
    public static async Task<FixUndoResult> UndoAsync(string planId, string? cluster, IGuestSource guests, IGuestWriter writer, IFixStore store, ILogger log, CancellationToken cancellationToken)
    {
        var records = store.ReadUndo(planId);
        if (records is null || records.Count == 0)
        {
            return new FixUndoResult(planId, records is null ? null : []);
        }

        if (FixUndoer.OtherCluster(records, records.Any(r => r.Cluster is not null) ? null : store.LoadPlan(planId)?.Cluster, cluster) is { } other)
        {
            return new FixUndoResult(planId, null) { OtherCluster = other };
        }

        // VMs may have migrated since the fix: write where each one is now.
        var inventory = await guests.GetGuestsAsync(cancellationToken).ConfigureAwait(false);
        var nodes = inventory.Guests.GroupBy(g => g.VmId).ToDictionary(g => g.Key, g => g.First().Node);
        var refusal = OldValueRefusal(CpuCatalog.Default, GuardPipeline.ParseCustomModels(inventory));
        var results = await new FixUndoer(writer, log, refusal).UndoAsync(planId, records, nodes, cancellationToken).ConfigureAwait(false);
        return new FixUndoResult(planId, results);
    }

    /// <summary>Why Proxmox's API refuses a cpu value (null when it accepts it): its validation, with the models it knows.</summary>
    public static Func<string, string?> OldValueRefusal(CpuCatalog catalog, CustomCpuModels customModels) =>
        value => GuestCpu.VmConfigRejection(value, type =>
            type is "host" or "max"
            || (type.StartsWith("custom-", StringComparison.Ordinal) ? customModels.TryGet(type["custom-".Length..], out _) : catalog.TryGetModel(type, out _)));
}
