using ProxClmc.Guard.Application.Scan;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>
/// Where a scan's report files go ([report] json_file, prometheus_textfile, html_file): each replaced whole, never
/// half written. The sink renders the documents; the use case only says what the scan found.
/// </summary>
public interface IReportSink
{
    /// <param name="outcome">What the scan concluded (the documents state it as <c>scan</c>'s exit code).</param>
    /// <param name="changes">The changes since the recorded state; null when this run compared with none.</param>
    Task WriteAsync(ScanResult result, ScanOutcome outcome, CpuChanges? changes, CancellationToken cancellationToken);
}
