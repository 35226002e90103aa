using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Infrastructure.Qemu;
using ProxClmc.Guard.Infrastructure.Snapshot;

namespace ProxClmc.Guard.Pipeline;

/// <summary>
/// Node facts, best and cheapest source first: a snapshot's nodes/&lt;node&gt;/cpuinfo (with the node's published
/// QEMU answer when the snapshot carries it); else a node's own published facts under pve_root when fresh
/// (facts.max_age_seconds); else this host's own /proc/cpuinfo and QEMU for the local node; then the remote source
/// (SSH or API) for the rest.
/// </summary>
public sealed class LayeredFactsSource(
    PveTree? tree,
    string localNode,
    string localCpuInfo,
    IFileSystem fileSystem,
    INodeFactsSource? remote,
    TimeProvider clock,
    string? publishedRoot = null,
    TimeSpan? publishedMaxAge = null,
    INodeQemuProbe? localProbe = null,
    string? ownWriteFile = null) : INodeFactsSource
{
    private readonly List<string> _warnings = [];

    /// <summary>Published documents for this node that it did not write, one line each (reported, never used).</summary>
    public IReadOnlyList<string> Warnings => [.. _warnings];

    public async Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, NodeFacts>(StringComparer.Ordinal);
        var remaining = new List<ClusterNode>();

        // A snapshot carries every node's cpuinfo; /etc/pve carries none, and then this host is the local node.
        var isSnapshot = tree is not null && membership.Nodes.Any(n => tree.HasCpuInfo(n.Name));
        foreach (var node in membership.Nodes)
        {
            if (isSnapshot && tree!.HasCpuInfo(node.Name))
            {
                result[node.Name] = WithSnapshotQemu(tree.ReadNodeFacts(node));
            }
            else if (isSnapshot && PublishedFacts.TryRead(fileSystem, tree!.Root, node, clock.GetUtcNow(), null, FactsSource.Snapshot, out _) is { } carried)
            {
                result[node.Name] = carried;
            }
            else if (!isSnapshot && publishedRoot is not null && publishedMaxAge is { } maxAge
                && (!IsLocal(node) || PublishedFacts.IsOwnWrite(fileSystem, publishedRoot, node.Name, ownWriteFile))
                && PublishedFacts.TryRead(fileSystem, publishedRoot, node, clock.GetUtcNow(), maxAge, FactsSource.Published, out _) is { } published)
            {
                // This node's own copy is its own reading (the hash of its last write matches); a peer's is capped by its cpuinfo.
                result[node.Name] = IsLocal(node) ? published with { QemuCappedByCpuInfo = false } : published;
            }
            else if (!isSnapshot && IsLocal(node))
            {
                var own = await WithLocalQemuAsync(ReadLocal(node), cancellationToken).ConfigureAwait(false);
                if (publishedRoot is not null && PublishedFacts.TryReadDocument(fileSystem, publishedRoot, node.Name, out _) is { } foreign)
                {
                    _warnings.Add(ForeignDocument(foreign, own));
                }

                result[node.Name] = own;
            }
            else
            {
                remaining.Add(node);
            }
        }

        if (remaining.Count > 0)
        {
            if (remote is null)
            {
                foreach (var node in remaining)
                {
                    result[node.Name] = NodeFacts.Unreadable(
                        node.Name,
                        tree is not null ? $"no cpuinfo in {tree.Root} and no SSH or API facts source configured" : "no SSH or API facts source configured",
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

    private bool IsLocal(ClusterNode node) => string.Equals(node.Name, localNode, StringComparison.Ordinal);

    /// <summary>The line that reports a published document for this node that this node did not write.</summary>
    private string ForeignDocument(Core.Facts.NodeFactsDocument foreign, NodeFacts own)
    {
        var where = Path.Combine("nodes", foreign.Node, PublishedFacts.FolderName, PublishedFacts.FileName);
        var line = $"{where}: not the facts {localNode} last published itself; ignored, {localNode} is judged by its own reading ({localCpuInfo})";
        var theirs = CpuInfoParser.Parse(foreign.CpuInfo, where);
        if (own.Cpu is { } cpu && theirs.IsSuccess)
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
        if (facts.Cpu is null || PublishedFacts.TryReadDocument(fileSystem, tree!.Root, facts.Node, out _) is not { } document)
        {
            return facts;
        }

        var kernel = document.Kernel.Length is > 0 and <= 256 ? document.Kernel : facts.Kernel;
        return document.Qemu is { } qemu ? facts with { Qemu = qemu, QemuCappedByCpuInfo = true, Kernel = kernel } : facts with { Kernel = kernel };
    }

    /// <summary>This node's own QEMU under KVM, asked directly when no fresh published facts exist.</summary>
    private async Task<NodeFacts> WithLocalQemuAsync(NodeFacts facts, CancellationToken cancellationToken)
    {
        if (facts.Cpu is null || localProbe is null)
        {
            return facts;
        }

        var answer = await localProbe.ProbeAsync(cancellationToken).ConfigureAwait(false);
        return answer.Answer is { } qemu ? facts with { Qemu = qemu } : facts;
    }

    private NodeFacts ReadLocal(ClusterNode node)
    {
        var address = node.Addresses.FirstOrDefault() ?? "";
        try
        {
            var parsed = CpuInfoParser.Parse(fileSystem.ReadAllText(localCpuInfo, FileLimits.ForCpuInfo), localCpuInfo);
            return parsed.IsSuccess
                ? NodeFacts.Readable(node.Name, parsed.Value, FactsSource.Local, address, clock.GetUtcNow())
                : NodeFacts.Unreadable(node.Name, parsed.Error.ToString(), FactsSource.Local, address);
        }
        catch (IOException e)
        {
            return NodeFacts.Unreadable(node.Name, $"{localCpuInfo}: {e.Message}", FactsSource.Local, address);
        }
        catch (UnauthorizedAccessException e)
        {
            return NodeFacts.Unreadable(node.Name, $"{localCpuInfo}: {e.Message}", FactsSource.Local, address);
        }
    }
}
