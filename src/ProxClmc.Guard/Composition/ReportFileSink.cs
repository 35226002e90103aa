using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Hosting;

namespace ProxClmc.Guard.Composition;

/// <summary>The report-sink port: [report] json_file, prometheus_textfile and html_file of these settings.</summary>
internal sealed class ReportFileSink(RunSettings settings) : IReportSink
{
    public Task WriteAsync(ScanResult result, int exitCode, CpuChanges? changes, CancellationToken cancellationToken) =>
        GuardScanRunner.WriteReportsAsync(settings, result, exitCode, cancellationToken, changes);
}
