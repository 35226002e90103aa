using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Composition;

/// <summary>
/// The report-sink port: [report] json_file, prometheus_textfile and html_file of these settings, each rendered and
/// replaced atomically (temporary file and rename: never half a file).
/// </summary>
internal sealed class ReportFileSink(RunSettings settings) : IReportSink
{
    public async Task WriteAsync(ScanResult result, ScanOutcome outcome, CpuChanges? changes, CancellationToken cancellationToken)
    {
        var exitCode = ScanExitCodes.Of(outcome);
        var now = result.Report.GeneratedAt;
        if (settings.Config.Report.JsonFile is { Length: > 0 } json)
        {
            using var document = new MemoryStream();
            JsonReport.Write(document, result.Cluster, result.Report, exitCode, now, changes);
            await ReportFile("json_file", json, () => AtomicFile.WriteAllBytesAsync(json, document.GetBuffer().AsMemory(0, (int)document.Length), cancellationToken)).ConfigureAwait(false);
        }

        if (settings.Config.Report.PrometheusTextfile is { Length: > 0 } prom)
        {
            await ReportFile("prometheus_textfile", prom, () => AtomicFile.WriteAllTextAsync(prom, PrometheusReport.Render(result.Cluster, result.Report, now, changes), cancellationToken)).ConfigureAwait(false);
        }

        if (settings.Config.Report.HtmlFile is { Length: > 0 } html)
        {
            var matrix = NodeMatrix.Compute(result, Core.Catalog.CpuCatalog.Default, settings.Policy);
            await ReportFile("html_file", html, () => AtomicFile.WriteAllTextAsync(html, HtmlReport.Render(result, result.Report, matrix, ReportChanges.Of(changes), now), cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>A report that cannot be written names its key and file, as a configuration error does.</summary>
    private static async Task ReportFile(string key, string path, Func<Task> write)
    {
        try
        {
            await write().ConfigureAwait(false);
        }
        catch (Exception e) when (e is (IOException and not UnsafeLocationException) or UnauthorizedAccessException)
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? path;
            var why = e is DirectoryNotFoundException || !Directory.Exists(folder)
                ? $"folder {folder} does not exist"
                : Cli.IoErrors.Reason(e);
            throw new IOException($"[report] {key} = \"{path}\": {why}", e);
        }
    }
}
