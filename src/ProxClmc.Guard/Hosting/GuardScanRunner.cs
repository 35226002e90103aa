using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Commands;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Pipeline;
using ProxClmc.Guard.Rendering;
using Serilog;

namespace ProxClmc.Guard.Hosting;

/// <summary>
/// One scan as the worker (and <c>scan --write-reports</c>) runs it: judge every guest, log one warning per unsafe
/// guest and a summary, and replace the report files atomically. Keeps each node's last good facts, so a node that is
/// down for one run is judged with what it last reported (marked "last known") instead of making the run partial.
/// </summary>
public sealed class GuardScanRunner(
    Func<RunSettings> settings,
    Func<RunSettings, ClusterSources> sources,
    TimeProvider clock,
    ILogger log,
    Func<RunSettings, FactsRepublisher?>? republisher = null) : IScanRunner
{
    private readonly LastGoodFacts _lastGood = new();

    public async Task<ScanRunSummary> RunOnceAsync(CancellationToken cancellationToken)
    {
        var current = settings();
        if (current.From is null && current.FactsSource == "auto" && current.LocalNode is { } node && republisher?.Invoke(current) is { } facts)
        {
            // This node's own facts first, so that this scan and every other node's judge it by its current QEMU.
            await facts.RepublishIfNeededAsync(current.PveRoot, node, current.CacheMaxAge, cancellationToken, Infrastructure.Facts.PublishedFacts.OwnWritePath(current.CacheFile)).ConfigureAwait(false);
        }

        using var chosen = sources(current);
        var remembering = chosen with { Facts = new RememberingFactsSource(chosen.Facts, _lastGood) };
        var pipeline = new GuardPipeline(current, remembering, Core.Catalog.CpuCatalog.Default, clock, path => File.ReadAllText(path))
        {
            Debug = note => log.Debug("{Note}", note),
        };
        var result = await pipeline.ScanAsync(cancellationToken).ConfigureAwait(false);
        var report = result.Report;
        var exitCode = report.ExitCode(current.AllowPartial);

        foreach (var warning in result.Inventory.Warnings)
        {
            log.Warning("{Warning}", warning);
        }

        ScanLog.Write(log, report);
        await WriteReportsAsync(current, result, exitCode, cancellationToken).ConfigureAwait(false);
        return new ScanRunSummary(report.Baseline.ClusterCpuType, report.Verdicts.Count, report.UnsafeCount, report.WarningCount, clock.GetUtcNow(), exitCode);
    }

    /// <summary>Writes [report] json_file, prometheus_textfile and html_file (temporary file and rename: never half a file).</summary>
    /// <param name="changes">The changes since the last scan for the HTML page; null when no earlier scan is recorded.</param>
    public static async Task WriteReportsAsync(RunSettings settings, ScanResult result, int exitCode, CancellationToken cancellationToken, IReadOnlyList<ReportChange>? changes = null)
    {
        var now = result.Report.GeneratedAt;
        if (settings.Config.Report.JsonFile is { Length: > 0 } json)
        {
            using var document = new MemoryStream();
            JsonReport.Write(document, result.Cluster, result.Report, exitCode, now);
            await AtomicFile.WriteAllBytesAsync(json, document.GetBuffer().AsMemory(0, (int)document.Length), cancellationToken).ConfigureAwait(false);
        }

        if (settings.Config.Report.PrometheusTextfile is { Length: > 0 } prom)
        {
            await AtomicFile.WriteAllTextAsync(prom, PrometheusReport.Render(result.Cluster, result.Report, now), cancellationToken).ConfigureAwait(false);
        }

        if (settings.Config.Report.HtmlFile is { Length: > 0 } html)
        {
            var matrix = NodeMatrix.Compute(result, Core.Catalog.CpuCatalog.Default, settings.Policy);
            await AtomicFile.WriteAllTextAsync(html, HtmlReport.Render(result, result.Report, matrix, changes, now), cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class LastGoodFacts
    {
        private readonly Dictionary<string, NodeFacts> _facts = new(StringComparer.Ordinal);

        public IReadOnlyList<NodeFacts> Merge(IReadOnlyList<NodeFacts> fresh)
        {
            var merged = new List<NodeFacts>(fresh.Count);
            foreach (var facts in fresh)
            {
                if (facts.Cpu is not null)
                {
                    _facts[facts.Node] = facts;
                    merged.Add(facts);
                }
                else if (_facts.TryGetValue(facts.Node, out var known))
                {
                    merged.Add(known with { IsStale = true, Error = facts.Error });
                }
                else
                {
                    merged.Add(facts);
                }
            }

            return merged;
        }
    }

    private sealed class RememberingFactsSource(INodeFactsSource inner, LastGoodFacts lastGood) : INodeFactsSource
    {
        public async Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken) =>
            lastGood.Merge(await inner.GetFactsAsync(membership, cancellationToken).ConfigureAwait(false));
    }
}
