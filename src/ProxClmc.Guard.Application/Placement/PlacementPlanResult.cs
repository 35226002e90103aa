using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Core.Placement;

namespace ProxClmc.Guard.Application.Placement;

/// <summary>
/// What <c>fix --strategy placement</c> planned. Either no rule can be created now (<see cref="GroupsNotMigrated"/>:
/// <see cref="Plan"/> is null) or <see cref="Plan"/> holds the plan, with its <see cref="FixPlan.Placement"/>.
/// </summary>
public sealed record PlacementPlanResult(ScanResult Scan)
{
    /// <summary>
    /// The cluster has HA rules (PVE 9) but a resource is still in a group: Proxmox creates no rule until the groups
    /// are migrated (pve-ha-manager <c>API2/HA/Rules.pm</c> <c>create_rule</c>).
    /// </summary>
    public bool GroupsNotMigrated { get; init; }

    public FixPlan? Plan { get; init; }

    /// <summary>The plan creates strict node-affinity rules (PVE 9) rather than restricted groups (PVE 8).</summary>
    public bool UsesRules { get; init; }

    /// <summary>The plan is in the plan store and can be applied later by its id.</summary>
    public bool Saved { get; init; }

    /// <summary>The plan was read through the API, whose HA writer can write it.</summary>
    public bool Writable { get; init; }

    public PlacementPlan? Placement => Plan?.Placement;

    /// <summary>The rules or groups to create.</summary>
    public IReadOnlyList<PlacementEntry> Changes => Placement?.Changes().ToList() ?? [];

    /// <summary>Unsafe guests the plan leaves as they are (see their reasons).</summary>
    public IReadOnlyList<int> Others => Placement?.Entries.Where(e => !e.IsChange).Select(e => e.VmId).ToList() ?? [];
}
