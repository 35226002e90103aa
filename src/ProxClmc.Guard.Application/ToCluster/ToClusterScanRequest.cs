using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Compliance;

namespace ProxClmc.Guard.Application.ToCluster;

/// <summary>
/// <c>scan --to-cluster REMOTE</c>: the other cluster, a check of the filters against this cluster's guests (run
/// before the other cluster is read), and the filters applied to the verdicts.
/// </summary>
public sealed record ToClusterScanRequest(string Remote)
{
    public Action<ScanResult>? ValidateLocal { get; init; }

    public Func<ComplianceReport, ComplianceReport>? Filter { get; init; }
}
