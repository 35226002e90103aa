using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Application.Facts;

/// <summary>
/// The one way every verb gets node facts (scan, check, evacuate, fix, baseline, snapshot and the hook), one order and
/// one set of freshness and trust rules, best and cheapest source first:
/// <list type="number">
/// <item>a snapshot's nodes/&lt;node&gt;/cpuinfo (with the QEMU answer the node published, when the snapshot carries it),
/// else the node's document carried in the snapshot;</item>
/// <item>a node's own published facts when fresh (<see cref="NodeFactsRules.PublishedMaxAge"/>: not older, not dated more
/// than 5 minutes ahead); for this host's node only the copy it last published itself (any node's root can write its folder);</item>
/// <item>this host's own reading for its own node (and a warning when a copy it did not write is published under its name);</item>
/// <item>the live remote source (SSH or the API) for the rest; a node it cannot read is a fact with a reason;</item>
/// <item>and only then, with <see cref="NodeFactsRules.OfferLastKnown"/> (<c>--allow-partial</c>), a failed node's last facts
/// from the cache, when no older than <see cref="NodeFactsRules.LastKnownMaxAge"/> and recorded for the same machine.</item>
/// </list>
/// Fresh live facts are recorded in the cache. See docs/ARCHITECTURE.md "One scan" and "One hook decision".
/// </summary>
public sealed class NodeFactsResolver(NodeFactsPorts ports, NodeFactsRules rules, TimeProvider clock) : INodeFactsSource
{
    private readonly List<string> _warnings = [];

    /// <summary>Published documents for this node that it did not write, one line each (reported, never used).</summary>
    public IReadOnlyList<string> Warnings
    {
        get
        {
            lock (_warnings)
            {
                return [.. _warnings];
            }
        }
    }

    public async Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(membership);
        IReadOnlyList<NodeFacts> facts = await ReadAsync(membership, cancellationToken).ConfigureAwait(false);
        if (ports.Enricher is { } enricher)
        {
            facts = await enricher.EnrichAsync(facts, cancellationToken).ConfigureAwait(false);
        }

        if (ports.Cache is not { } cache)
        {
            return facts;
        }

        var fresh = facts.Where(f => f.Cpu is not null && !f.IsStale && f.Source != FactsSource.Cache).ToList();
        if (fresh.Count > 0 && ports.RecordInCache)
        {
            // A cache that cannot be written never fails a run: the next run reads live again.
            await cache.RecordAsync(fresh, cancellationToken).ConfigureAwait(false);
        }

        if (!rules.OfferLastKnown)
        {
            return facts;
        }

        var now = clock.GetUtcNow();
        return facts
            .Select(f => f.Cpu is null && cache.TryGetSameMachine(f.Node, rules.LastKnownMaxAge, now, out var last)
                ? last with { IsStale = true, Address = f.Address.Length > 0 ? f.Address : last.Address }
                : f)
            .ToList();
    }

    private async Task<IReadOnlyList<NodeFacts>> ReadAsync(ClusterMembership membership, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, NodeFacts>(StringComparer.Ordinal);
        var remaining = new List<ClusterNode>();
        var snapshot = ports.Snapshot;
        var published = ports.Published;

        // A snapshot carries every node's cpuinfo; /etc/pve carries none, and then this host is the local node.
        var isSnapshot = snapshot is not null && membership.Nodes.Any(n => snapshot.HasCpuInfo(n.Name));
        foreach (var node in membership.Nodes)
        {
            if (isSnapshot && snapshot!.HasCpuInfo(node.Name))
            {
                result[node.Name] = WithSnapshotQemu(snapshot.Read(node));
            }
            else if (isSnapshot && published?.TryRead(node, clock.GetUtcNow(), null, FactsSource.Snapshot) is { } carried)
            {
                result[node.Name] = carried;
            }
            else if (!isSnapshot && published is not null && rules.PublishedMaxAge is { } maxAge
                && (!IsLocal(node) || published.IsOwnWrite(node.Name))
                && published.TryRead(node, clock.GetUtcNow(), maxAge, FactsSource.Published) is { } fresh)
            {
                // This node's own copy is its own reading (the hash of its last write matches); a peer's is capped by its cpuinfo.
                result[node.Name] = IsLocal(node) ? fresh with { QemuCappedByCpuInfo = false } : fresh;
            }
            else if (!isSnapshot && IsLocal(node) && ports.Own is { } own)
            {
                var reading = await own.ReadAsync(node, cancellationToken).ConfigureAwait(false);
                if (published?.TryReadDocument(node.Name) is { } foreign)
                {
                    Warn(ForeignDocument(published, own, foreign, reading));
                }

                result[node.Name] = reading;
            }
            else
            {
                remaining.Add(node);
            }
        }

        if (remaining.Count > 0)
        {
            if (ports.Live is not { } remote)
            {
                foreach (var node in remaining)
                {
                    result[node.Name] = NodeFacts.Unreadable(
                        node.Name,
                        snapshot is not null ? $"no cpuinfo in {snapshot.Root} and no SSH or API facts source configured" : "no SSH or API facts source configured",
                        FactsSource.Snapshot,
                        node.Addresses.FirstOrDefault() ?? "");
                }
            }
            else
            {
                var subset = new ClusterMembership(membership.ClusterName, remaining, membership.IsStandalone) { IpVersion = membership.IpVersion };
                foreach (var facts in await remote.GetFactsAsync(subset, cancellationToken).ConfigureAwait(false))
                {
                    result[facts.Node] = facts;
                }
            }
        }

        return membership.Nodes.Select(n => result[n.Name]).ToList();
    }

    private bool IsLocal(ClusterNode node) => string.Equals(node.Name, rules.LocalNode, StringComparison.Ordinal);

    private void Warn(string line)
    {
        lock (_warnings)
        {
            _warnings.Add(line);
        }
    }

    /// <summary>The line that reports a published document for this node that this node did not write.</summary>
    private string ForeignDocument(Ports.IPublishedFacts published, Ports.IOwnNodeReading own, Core.Facts.NodeFactsDocument foreign, NodeFacts reading)
    {
        var localNode = rules.LocalNode;
        var where = published.Where(foreign.Node);
        var line = $"{where}: not the facts {localNode} last published itself; ignored, {localNode} is judged by its own reading ({own.CpuInfoPath})";
        var theirs = CpuInfoParser.Parse(foreign.CpuInfo, where);
        if (reading.Cpu is { } cpu && theirs.IsSuccess)
        {
            var added = theirs.Value.Flags.Where(f => !cpu.Flags.Contains(f)).Order(StringComparer.Ordinal).ToList();
            var lacking = cpu.Flags.Where(f => !theirs.Value.Flags.Contains(f)).Order(StringComparer.Ordinal).ToList();
            if (added.Count > 0 || lacking.Count > 0 || theirs.Value.ModelName != cpu.ModelName)
            {
                line += $"; its cpuinfo disagrees with this node's ('{theirs.Value.ModelName}'"
                    + (added.Count > 0 ? $", claims {string.Join(' ', added.Take(8))}{(added.Count > 8 ? $" and {added.Count - 8} more" : "")}" : "")
                    + (lacking.Count > 0 ? $", lacks {string.Join(' ', lacking.Take(8))}{(lacking.Count > 8 ? $" and {lacking.Count - 8} more" : "")}" : "")
                    + ")";
            }
        }

        return line;
    }

    /// <summary>
    /// A snapshot's cpuinfo judged by the QEMU answer the node published, when the snapshot carries it, with the
    /// kernel the node published (what a change of its CPU is shown beside).
    /// </summary>
    private NodeFacts WithSnapshotQemu(NodeFacts facts)
    {
        if (facts.Cpu is null || ports.Published?.TryReadDocument(facts.Node) is not { } document)
        {
            return facts;
        }

        var kernel = document.Kernel.Length is > 0 and <= 256 ? document.Kernel : facts.Kernel;
        return document.Qemu is { } qemu ? facts with { Qemu = qemu, QemuCappedByCpuInfo = true, Kernel = kernel } : facts with { Kernel = kernel };
    }
}
