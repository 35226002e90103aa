using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;
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
    Func<RunSettings, IReportSink> reports,
    Func<RunSettings, FactsRepublisher?>? republisher = null) : IScanRunner
{
    private readonly LastGoodFacts _lastGood = new();

    public async Task<ScanRunSummary> RunOnceAsync(CancellationToken cancellationToken)
    {
        var current = settings();
        if (current.From is null && current.FactsSource == FactsSourceMode.Auto && current.LocalNode is { } node && republisher?.Invoke(current) is { } facts)
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

        var changes = CpuStateRecorder.Record(current, result, Core.Catalog.CpuCatalog.Default, clock.GetUtcNow(), warning => log.Warning("{Warning}", warning));
        if (changes is not null)
        {
            ChangeLog.Write(log, changes);
            exitCode = CpuChanges.WithChanges(exitCode, changes);
        }

        ScanLog.Write(log, report);

        await reports(current).WriteAsync(result, exitCode, changes, cancellationToken).ConfigureAwait(false);
        return new ScanRunSummary(report.Baseline.ClusterCpuType, report.Verdicts.Count, report.UnsafeCount, report.WarningCount, clock.GetUtcNow(), exitCode);
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
