using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Core.Cpu;

/// <summary>
/// The CPU types every node of the cluster can run: the highest Proxmox level and, when all nodes share a vendor,
/// the best shared named model. A pinned baseline (policy.baseline) replaces the computed one, like VMware EVC.
/// </summary>
public sealed record ClusterBaseline
{
    public required IReadOnlyList<NodeCapability> Nodes { get; init; }

    /// <summary>The highest level every readable node supports.</summary>
    public required CpuLevel Level { get; init; }

    /// <summary>The best named model all readable nodes support; null with mixed vendors or none shared.</summary>
    public CpuModel? NamedModel { get; init; }

    /// <summary>The vendor_id every readable node shares; null when vendors are mixed.</summary>
    public string? SharedVendor { get; init; }

    public bool VendorMix { get; init; }

    /// <summary>The narrowest physical address width among readable nodes.</summary>
    public int? MinPhysBits { get; init; }

    /// <summary>Nodes whose facts could not be read (baseline computed without them).</summary>
    public IReadOnlyList<string> UnreadableNodes { get; init; } = [];

    public bool IsPartial => UnreadableNodes.Count > 0;

    /// <summary>The pinned model from policy.baseline, when pinned.</summary>
    public CpuModel? PinnedModel { get; init; }

    /// <summary>With a pinned baseline: nodes that cannot run it (non-compliant nodes).</summary>
    public IReadOnlyList<string> NodesBelowPin { get; init; } = [];

    /// <summary>Plain-language warnings: vendor mix, flags that differ across a node's processors, nodes below kvm64, ...</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The CPU type to configure on guests: the pinned model, or the level model's name.</summary>
    public string ClusterCpuType => PinnedModel?.Name ?? CpuCatalog.LevelName(Level);

    public static ClusterBaseline Compute(IReadOnlyList<NodeFacts> facts, CpuCatalog catalog, GuardPolicy policy) =>
        throw new NotImplementedException();
}
