using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.History;

namespace ProxClmc.Guard.Rendering;

/// <summary>The recorded changes of the cluster's CPU as the HTML page lists them.</summary>
public static class ReportChanges
{
    /// <summary>Null when the run compared with no state (the page then says no earlier scan is recorded).</summary>
    public static IReadOnlyList<ReportChange>? Of(CpuChanges? changes) =>
        changes?.Since is null
            ? null
            : changes.Changes.Select(c => new ReportChange(
                c.At,
                c.Kind,
                c.VmId is { } vmid ? $"VM {vmid.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : c.Node ?? "cluster",
                (c.IsLoss ? "! " : "") + c.Describe())).ToList();
}
