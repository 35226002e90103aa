using System.Globalization;
using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.Fix;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Core.Placement;
using Serilog;

namespace ProxClmc.Guard.Application.Placement;

/// <summary>
/// <c>fix --strategy placement</c>, the plan: strict node-affinity rules (PVE 9) or restricted groups (PVE 8) that keep
/// unsafe HA guests on the nodes that can run them (Core's <see cref="PlacementPlanner"/>). A plan of the live cluster
/// is saved like a cpu plan (strategy "placement", with the digests of the HA configuration it was planned against)
/// and written by <see cref="PlacementApplying"/>, each rule only while the HA configuration still has those digests.
/// </summary>
public static class PlacementPlanning
{
    /// <param name="writer">The API's HA writer; null for a snapshot or /etc/pve without [api] (the plan is then only shown).</param>
    /// <exception cref="InvalidRequestException">A <c>--vmid</c> names no guest of the cluster.</exception>
    public static async Task<PlacementPlanResult> PlanAsync(GuardPipeline pipeline, PlacementRequest request, IHaWriter? writer, IFixStore store, TimeProvider clock, ILogger log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(clock);
        var usesRules = false;
        string? digest = null;
        if (writer is not null)
        {
            // The digests are taken before the scan reads the HA configuration: a change made after this point, even
            // one the scan already sees, makes them differ when the plan is written, so the plan never outlives it.
            usesRules = await writer.UsesRulesAsync(cancellationToken).ConfigureAwait(false);
            digest = (await writer.ReadAsync(usesRules, cancellationToken).ConfigureAwait(false)).Digest;
        }

        var result = await pipeline.ScanAsync(cancellationToken).ConfigureAwait(false);
        if (writer is null)
        {
            // A snapshot or /etc/pve: groups.cfg still in use means groups (PVE 8, or 9 before the migration).
            usesRules = result.Inventory.Ha.Groups.Count == 0;
        }
        else if (usesRules && result.Inventory.Ha.Resources.Any(r => r.Group is not null))
        {
            // API2/HA/Rules.pm create_rule: "cannot create ha rule: ha groups have not been migrated yet".
            return new PlacementPlanResult(result) { GroupsNotMigrated = true, UsesRules = true, Writable = true };
        }

        var unknownIds = request.VmIds.Where(id => result.Report.Verdicts.All(v => v.Guest.VmId != id)).ToList();
        if (unknownIds.Count > 0)
        {
            throw new InvalidRequestException($"--vmid {string.Join(", ", unknownIds.Select(i => i.ToString(CultureInfo.InvariantCulture)))}: no such guest in the cluster");
        }

        var now = clock.GetUtcNow();
        var placement = PlacementPlanner.Plan(result.Report, result.Ha, usesRules, request.AllowSingleNode, request.VmIds, FixPlan.NewId(now, Random.Shared.Next(0x10000)), now) with { HaDigest = digest };
        var plan = new FixPlan
        {
            Id = placement.Id,
            CreatedAt = now,
            Baseline = result.Cluster.Baseline.ClusterCpuType,
            Strategy = "placement",
            Cluster = result.Cluster.Membership.ClusterName,
            Source = result.Cluster.SourceDescription,
            Request = string.Join(' ', new[] { "--strategy placement", request.Description, request.AllowSingleNode ? "--allow-single-node" : null }.Where(p => !string.IsNullOrEmpty(p))),
            Entries = [],
            Placement = placement,
        };

        // Only a plan read through the API carries the digests that guard its writes; a dry run from --from, or a
        // plan from /etc/pve without [api], writes nothing unless --save-plan asks for the file.
        var saved = placement.Changes().Any() && writer is not null && FixPlanning.Save(store, plan, mustSucceed: request.Apply, log);
        if (request.SavePlan is { } file)
        {
            store.ExportPlan(file, plan);
        }

        return new PlacementPlanResult(result) { Plan = plan, UsesRules = usesRules, Saved = saved, Writable = writer is not null };
    }
}
