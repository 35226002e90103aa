using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Application.ToCluster;

/// <summary>
/// One VM of this cluster against the other cluster: the verdict over all its nodes, the custom model compared
/// (null when the VM uses none), and per node asked (every node, or only the target) whether the VM can run there.
/// </summary>
public sealed record ToClusterCheckResult(
    GuestConfig Guest,
    ScanResult Local,
    RemoteClusterView Remote,
    GuestVerdict Verdict,
    CustomModelComparison? Comparison,
    IReadOnlyList<MigrationAnswer> Answers);
