using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Infrastructure.Ssh;

/// <summary>
/// Every node's <c>/proc/cpuinfo</c> over SSH, read in parallel (at most <see cref="SshOptions.Parallelism"/> at once).
/// A slow or dead node costs at most its connect and command timeouts per address and never holds up the others.
/// </summary>
public sealed class SshFactsSource : INodeFactsSource, IDisposable
{
    private readonly SshCpuInfoReader _reader;
    private readonly int _parallelism;
    private readonly TimeProvider _time;

    public SshFactsSource(SshOptions options, TimeProvider? time = null)
        : this(new SshCpuInfoReader(options), options.Parallelism, time ?? TimeProvider.System)
    {
    }

    internal SshFactsSource(SshCpuInfoReader reader, int parallelism, TimeProvider time)
    {
        _reader = reader;
        _parallelism = Math.Max(1, parallelism);
        _time = time;
    }

    /// <summary>Skipped known_hosts lines seen so far ("file:line: why"), for the log.</summary>
    public IReadOnlyList<string> Warnings => _reader.KnownHostsWarnings;

    public async Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken)
    {
        var raw = await ReadAllAsync(membership.Nodes, cancellationToken).ConfigureAwait(false);
        return raw.Select(r => ToFacts(r, _time.GetUtcNow())).ToList();
    }

    /// <summary>The raw text of every node, in membership order.</summary>
    public async Task<IReadOnlyList<RemoteCpuInfo>> ReadAllAsync(IReadOnlyList<ClusterNode> nodes, CancellationToken cancellationToken)
    {
        var results = new RemoteCpuInfo[nodes.Count];
        if (!_reader.UsesWireClient)
        {
            EnsurePoolThreads(Math.Min(nodes.Count, _parallelism));
        }

        await Parallel.ForEachAsync(
            Enumerable.Range(0, nodes.Count),
            new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellationToken },
            async (i, ct) => results[i] = await _reader.ReadAsync(nodes[i], ct).ConfigureAwait(false)).ConfigureAwait(false);
        return results;
    }

    /// <summary>
    /// Only for SSH.NET (the thin client waits on async sockets and needs no thread per connection).
    /// SSH.NET's <c>ConnectAsync</c> waits for the key exchange, the server's service acceptance and authentication on
    /// the pool thread that runs it (blocking waits inside <c>Session.ConnectAsync</c>), and opening the command's
    /// channel waits the same way. With the pool at its start size (one thread per core), connections in flight beyond
    /// the cores would queue behind each other and wait for the pool's slow thread injection (about two threads a
    /// second) instead of running as one wave. So the pool may grow at once to one thread per connection in flight plus
    /// the cores; threads are still created only when needed, and the number is bounded by <c>[ssh] parallelism</c>.
    /// </summary>
    private static void EnsurePoolThreads(int connections)
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        var wanted = connections + Environment.ProcessorCount;
        if (workers < wanted)
        {
            ThreadPool.SetMinThreads(wanted, completionPorts);
        }
    }

    public static NodeFacts ToFacts(RemoteCpuInfo raw, DateTimeOffset at)
    {
        if (raw.Text is null)
        {
            return NodeFacts.Unreadable(raw.Node, raw.Error ?? $"{raw.Node}: not read", FactsSource.Ssh, raw.Address);
        }

        var parsed = CpuInfoParser.Parse(raw.Text, $"{raw.Node}:/proc/cpuinfo");
        return parsed.IsSuccess
            ? NodeFacts.Readable(raw.Node, parsed.Value, FactsSource.Ssh, raw.Address, at)
            : NodeFacts.Unreadable(raw.Node, parsed.Error.ToString(), FactsSource.Ssh, raw.Address);
    }

    public void Dispose() => _reader.Dispose();
}
