using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Compliance;

namespace ProxClmc.Guard.Application.Scanning;

/// <summary>What one scan found: the whole scan, the report its filters show, the changes since the recorded state, and the outcome.</summary>
/// <param name="Scan">The whole cluster as read and judged.</param>
/// <param name="Report">The verdicts the request's filters keep.</param>
/// <param name="Changes">The changes since the recorded state; null when this run compared with none.</param>
/// <param name="At">When the scan was judged and recorded.</param>
public sealed record ScanRunResult(ScanResult Scan, ComplianceReport Report, CpuChanges? Changes, ScanOutcome Outcome, DateTimeOffset At);
