using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Compliance;

namespace ProxClmc.Guard.Application.ToCluster;

/// <summary>This cluster's guests judged against the other cluster's nodes (<see cref="Report"/>, filtered), at <see cref="At"/>.</summary>
public sealed record ToClusterScanResult(ScanResult Local, RemoteClusterView Remote, ComplianceReport Report, DateTimeOffset At);
