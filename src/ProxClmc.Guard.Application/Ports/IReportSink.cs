using ProxClmc.Guard.Application.Scan;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>
/// Where a scan's report files go ([report] json_file, prometheus_textfile, html_file): each replaced whole, never
/// half written. The sink renders the documents; the use case only says what the scan found.
/// </summary>
public interface IReportSink
{
    /// <param name="exitCode">What <c>scan</c> exits with for this result, as the documents state it.</param>
    /// <param name="changes">The changes since the recorded state; null when this run compared with none.</param>
    Task WriteAsync(ScanResult result, int exitCode, CpuChanges? changes, CancellationToken cancellationToken);
}
