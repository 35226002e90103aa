using ProxClmc.Guard.Core.Catalog;

namespace ProxClmc.Guard.Core.Cpu;

/// <summary>What one node can run: its highest Proxmox level and best named model (of its own vendor).</summary>
public sealed record NodeCapability
{
    public required NodeFacts Facts { get; init; }

    public string Node => Facts.Node;

    /// <summary>The highest level the node can run; <see cref="CpuLevel.None"/> when unreadable or nothing fits.</summary>
    public required CpuLevel Level { get; init; }

    /// <summary>The best named model the node supports, ranked by feature set; null if none.</summary>
    public CpuModel? BestNamedModel { get; init; }

    /// <summary>Every named (vendor) model the node supports, verified or not.</summary>
    public IReadOnlyList<CpuModel> SupportedNamedModels { get; init; } = [];

    public bool IsReadable => Facts.Cpu is not null;

    public static NodeCapability Compute(NodeFacts facts, CpuCatalog catalog) => throw new NotImplementedException();

    /// <summary>Checks one requirement against this node. An unreadable node answers Unsupported with no missing flags.</summary>
    public SupportCheck Check(CpuRequirement requirement, bool strictVendor = true) => throw new NotImplementedException();
}
