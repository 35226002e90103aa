using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Application.Scanning;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;
using Serilog;

namespace ProxClmc.Guard.Application.ScheduledScan;

/// <summary>
/// The daemon's scan, run after run: republish this node's facts when needed, judge every guest, record the state
/// and replace the report files (the <see cref="ScanUseCase"/> with no filter). Keeps each node's last good facts, so
/// a node that is down for one run is judged with what it last reported (marked "last known") instead of making the
/// run partial.
/// </summary>
public sealed class ScheduledScanUseCase(ScheduledScanAdapters adapters, TimeProvider clock, ILogger log)
{
    private readonly LastGoodFacts _lastGood = new();

    /// <summary>Called with what each scan found before its report files are written (<see cref="ScanUseCase.Judged"/>).</summary>
    public Action<ScanRunResult>? Judged { get; init; }

    public async Task<ScanRunResult> RunOnceAsync(ScheduledScanRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var current = request.Settings;
        if (current.From is null && current.FactsSource == FactsSourceMode.Auto && current.LocalNode is { } node && adapters.OwnFacts?.Invoke(current) is { } facts)
        {
            // This node's own facts first, so that this scan and every other node's judge it by its current QEMU.
            await facts.RefreshAsync(node, cancellationToken).ConfigureAwait(false);
        }

        using var chosen = adapters.Sources(current);
        var remembering = chosen with { Facts = new RememberingFactsSource(chosen.Facts, _lastGood) };
        var pipeline = new GuardPipeline(current, remembering, CpuCatalog.Default, clock, adapters.ReadAssumedCpuInfo)
        {
            Debug = note => log.Debug("{Note}", note),
        };
        var scan = new ScanUseCase(pipeline, new CpuStateRecorder(adapters.States, adapters.Lock(current)), adapters.Reports(current), clock, log)
        {
            Judged = Judged,
        };
        return await scan.RunAsync(new ScanRequest(ScanFilter.None) { StateFile = current.StateFile, WriteReports = true }, cancellationToken).ConfigureAwait(false);
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
