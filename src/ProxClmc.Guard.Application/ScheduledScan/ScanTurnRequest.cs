using ProxClmc.Guard.Application.Scanning;

namespace ProxClmc.Guard.Application.ScheduledScan;

/// <summary>The timer's scan (<c>scan --once-per-cluster</c>): the scan to run if it is this node's turn.</summary>
/// <param name="LocalNode">This node's name, as corosync.conf knows it.</param>
/// <param name="Period"><c>[daemon] interval_seconds</c>: a scan by another node within it counts for this period.</param>
public sealed record ScanTurnRequest(ScanRequest Scan, string LocalNode, TimeSpan Period);
