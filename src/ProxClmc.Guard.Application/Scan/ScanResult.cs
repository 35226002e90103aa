using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Application.Scan;

/// <summary>Steps 5–6: the guests and their verdicts.</summary>
public sealed record ScanResult(ClusterAnalysis Cluster, GuestInventory Inventory, CustomCpuModels CustomModels, ComplianceReport Report)
{
    /// <summary>Where the HA manager may put each HA guest.</summary>
    public HaPlacement Ha { get; init; } = HaPlacement.None;
}
