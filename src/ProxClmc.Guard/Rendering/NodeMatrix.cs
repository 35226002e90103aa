using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Policy;

namespace ProxClmc.Guard.Rendering;

/// <summary>Which kind of CPU type a column of the node matrix is.</summary>
public enum MatrixColumnKind
{
    Level,
    Named,
    Custom,
}

/// <summary>One CPU type of the node matrix: its name as a <c>cpu</c> value, and why it is a column.</summary>
public sealed record MatrixColumn(string CpuType, MatrixColumnKind Kind, string Why);

/// <summary>
/// Which node can run which CPU type: Proxmox's levels, the named models that matter for this cluster (the cluster's
/// best shared model, a pinned baseline, each node's best) and the custom models of <c>cpu-models.conf</c>. Each cell
/// is judged exactly as a guest with that <c>cpu</c> value would be (the same evaluator, so QEMU's answers and the
/// KVM flag lists count here as they do in the guest table).
/// </summary>
public sealed record NodeMatrix(IReadOnlyList<MatrixColumn> Columns, IReadOnlyList<string> Nodes, IReadOnlyList<IReadOnlyList<NodeFit?>> Cells)
{
    /// <summary>The page shows at most this many custom models (a cpu-models.conf can hold hundreds).</summary>
    public const int MaxCustomColumns = 8;

    public static NodeMatrix Compute(ScanResult result, CpuCatalog catalog, GuardPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(catalog);
        var baseline = result.Cluster.Baseline;
        var columns = new List<MatrixColumn>();
        foreach (var model in catalog.LevelModels.Where(m => m.Level >= CpuLevel.Kvm64).OrderBy(m => m.Level))
        {
            columns.Add(new MatrixColumn(model.Name, MatrixColumnKind.Level, "Proxmox level"));
        }

        void AddNamed(string name, string why)
        {
            if (columns.FindIndex(c => c.CpuType == name) is var i and >= 0)
            {
                if (!columns[i].Why.Contains(why, StringComparison.Ordinal))
                {
                    columns[i] = columns[i] with { Why = columns[i].Why + "; " + why };
                }

                return;
            }

            columns.Add(new MatrixColumn(name, MatrixColumnKind.Named, why));
        }

        if (baseline.PinnedModel is { IsLevelModel: false } pinned)
        {
            AddNamed(pinned.Name, "pinned baseline");
        }

        if (baseline.NamedModel is { } best)
        {
            AddNamed(best.Name, "cluster's best");
        }

        foreach (var node in baseline.Nodes.Where(n => n.BestNamedModel is not null).OrderByDescending(n => n.Level).ThenBy(n => n.Node, StringComparer.Ordinal))
        {
            AddNamed(node.BestNamedModel!.Name, "best of " + node.Node);
        }

        foreach (var custom in result.CustomModels.Models.Where(m => m.Error is null).Take(MaxCustomColumns))
        {
            columns.Add(new MatrixColumn("custom-" + custom.Name, MatrixColumnKind.Custom, "custom model"));
        }

        var nodes = baseline.Nodes.Select(n => n.Node).ToList();
        var evaluator = new ComplianceEvaluator(baseline, catalog, policy, result.CustomModels);
        var probe = new GuestConfig { VmId = 0, Node = nodes.FirstOrDefault() ?? "", Name = "node matrix" };
        var byColumn = columns.Select(c => evaluator.EvaluateCpuValue(probe, c.CpuType).Fits).ToList();
        var cells = nodes
            .Select(node => (IReadOnlyList<NodeFit?>)byColumn.Select(fits => fits.FirstOrDefault(f => f.Node == node)).ToList())
            .ToList();
        return new NodeMatrix(columns, nodes, cells);
    }
}
