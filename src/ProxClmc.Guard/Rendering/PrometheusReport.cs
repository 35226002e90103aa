using System.Globalization;
using System.Text;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.History;

namespace ProxClmc.Guard.Rendering;

/// <summary>
/// Prometheus text exposition format (version 0.0.4), for node_exporter's textfile collector or a direct scrape.
/// Metric names are listed in the README; keep them stable.
/// </summary>
public static class PrometheusReport
{
    public static string Render(ClusterAnalysis cluster, ComplianceReport? report, DateTimeOffset generatedAt, CpuChanges? changes = null)
    {
        var sb = new StringBuilder();
        var baseline = cluster.Baseline;

        Header(sb, "proxclmc_guard_baseline_info", "gauge", "The cluster CPU baseline (always 1; the labels carry the values).");
        sb.Append("proxclmc_guard_baseline_info{")
            .Append(Label("cluster", cluster.Membership.ClusterName ?? "")).Append(',')
            .Append(Label("cpu_type", baseline.ClusterCpuType)).Append(',')
            .Append(Label("level", CpuCatalog.LevelName(baseline.Level))).Append(',')
            .Append(Label("named_model", baseline.NamedModel?.Name ?? "")).Append(',')
            .Append(Label("pinned", baseline.PinnedModel is null ? "false" : "true"))
            .Append("} 1\n");

        Header(sb, "proxclmc_guard_baseline_level", "gauge", "The cluster baseline's level: 0 kvm64, 1 x86-64-v2, 2 x86-64-v2-AES, 3 x86-64-v3, 4 x86-64-v4, -1 none (alert on a decrease).");
        sb.Append("proxclmc_guard_baseline_level ").Append(Number(ClusterState.LevelNumber(baseline.Level))).Append('\n');

        Header(sb, "proxclmc_guard_baseline_partial", "gauge", "1 when some nodes could not be read and the baseline covers only the others.");
        sb.Append("proxclmc_guard_baseline_partial ").Append(baseline.IsPartial ? '1' : '0').Append('\n');

        Header(sb, "proxclmc_guard_node_readable", "gauge", "1 when the node's CPU facts could be read this run.");
        foreach (var node in baseline.Nodes)
        {
            sb.Append("proxclmc_guard_node_readable{").Append(Label("node", node.Node)).Append("} ").Append(node.IsReadable ? '1' : '0').Append('\n');
        }

        Header(sb, "proxclmc_guard_node_level_info", "gauge", "Each readable node's highest CPU level and best named model.");
        foreach (var node in baseline.Nodes.Where(n => n.IsReadable))
        {
            sb.Append("proxclmc_guard_node_level_info{")
                .Append(Label("node", node.Node)).Append(',')
                .Append(Label("level", CpuCatalog.LevelName(node.Level))).Append(',')
                .Append(Label("named_model", node.BestNamedModel?.Name ?? "")).Append(',')
                .Append(Label("vendor", node.Facts.Cpu!.VendorId))
                .Append("} 1\n");
        }

        Header(sb, "proxclmc_guard_node_level", "gauge", "Each readable node's level, on the scale of proxclmc_guard_baseline_level.");
        foreach (var node in baseline.Nodes.Where(n => n.IsReadable))
        {
            sb.Append("proxclmc_guard_node_level{").Append(Label("node", node.Node)).Append("} ").Append(Number(ClusterState.LevelNumber(node.Level))).Append('\n');
        }

        if (changes is not null)
        {
            Header(sb, "proxclmc_guard_changes", "gauge", "Changes of the cluster's CPU this run found since the recorded state, per kind.");
            foreach (var kind in CpuChangeKind.All)
            {
                sb.Append("proxclmc_guard_changes{").Append(Label("kind", kind)).Append("} ")
                    .Append(Number(changes.Changes.Count(c => c.Kind == kind))).Append('\n');
            }
        }

        if (report is not null)
        {
            Header(sb, "proxclmc_guard_guests", "gauge", "Guests per verdict.");
            foreach (var verdict in VerdictNames.All)
            {
                sb.Append("proxclmc_guard_guests{").Append(Label("verdict", verdict.Name())).Append("} ")
                    .Append(report.Count(verdict).ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            Header(sb, "proxclmc_guard_unsafe_guest", "gauge", "One series per guest that is not safe to live-migrate everywhere in the cluster.");
            foreach (var verdict in report.Verdicts.Where(v => v.Verdict.IsUnsafe()))
            {
                sb.Append("proxclmc_guard_unsafe_guest{")
                    .Append(Label("vmid", verdict.Guest.VmId.ToString(CultureInfo.InvariantCulture))).Append(',')
                    .Append(Label("name", verdict.Guest.Name ?? "")).Append(',')
                    .Append(Label("node", verdict.Guest.Node)).Append(',')
                    .Append(Label("verdict", verdict.Verdict.Name())).Append(',')
                    .Append(Label("cpu", verdict.Cpu))
                    .Append("} 1\n");
            }
        }

        Header(sb, "proxclmc_guard_last_run_timestamp_seconds", "gauge", "Unix time of this run.");
        sb.Append("proxclmc_guard_last_run_timestamp_seconds ")
            .Append(generatedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)).Append('\n');
        return sb.ToString();
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Header(StringBuilder sb, string name, string type, string help) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
          .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    /// <summary>
    /// Label values escape backslash, double quote and line feed, as the exposition format requires; other control
    /// characters and bidirectional overrides (from VM names) are shown as \xNN and \uNNNN, as the tables show them.
    /// </summary>
    private static string Label(string name, string value) =>
        name + "=\"" + Names.VisibleKeepingLines(value).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
}
