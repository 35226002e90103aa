using System.Collections.Concurrent;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// Node CPU facts without SSH: <c>cpuinfo.model</c> and the undocumented <c>cpuinfo.flags</c> (the first CPU's
/// /proc/cpuinfo flags line) of <c>GET /nodes/{node}/status</c>. A node the cluster reports offline, or that the
/// proxy cannot reach (595), is unreadable with a one-line reason; the API itself being unreachable throws.
/// </summary>
public sealed class ApiNodeFactsSource(ProxmoxClient client, TimeProvider? timeProvider = null) : INodeFactsSource
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public async Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken)
    {
        var status = await ReadClusterStatusAsync(cancellationToken).ConfigureAwait(false);
        var results = new ConcurrentDictionary<string, NodeFacts>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(
            membership.Nodes,
            new ParallelOptions { MaxDegreeOfParallelism = client.Parallelism, CancellationToken = cancellationToken },
            async (node, ct) => results[node.Name] = await ReadNodeAsync(node, status.GetValueOrDefault(node.Name), ct).ConfigureAwait(false))
            .ConfigureAwait(false);
        return membership.Nodes.Select(n => results[n.Name]).ToList();
    }

    private async Task<Dictionary<string, ClusterStatusEntry>> ReadClusterStatusAsync(CancellationToken cancellationToken)
    {
        try
        {
            var entries = await client.GetClusterStatusAsync(cancellationToken).ConfigureAwait(false);
            return entries.Where(e => e.IsNode).GroupBy(e => e.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        }
        catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is not null)
        {
            // The API answered but would not list the cluster (e.g. no Sys.Audit on /): ask each node directly.
            return [];
        }
    }

    private async Task<NodeFacts> ReadNodeAsync(ClusterNode node, ClusterStatusEntry? status, CancellationToken cancellationToken)
    {
        var address = status?.Ip ?? node.Addresses.FirstOrDefault() ?? "";
        if (status is { Online: false })
        {
            client.MarkUnreachable(node.Name, "the cluster status reports it offline");
            return NodeFacts.Unreadable(node.Name, $"node {node.Name} is offline (the cluster status reports it not online)", FactsSource.Api, address);
        }

        var origin = $"api:/nodes/{node.Name}/status";
        NodeCpuInfo cpu;
        try
        {
            cpu = await client.GetNodeCpuInfoAsync(node.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is { } api)
        {
            return NodeFacts.Unreadable(
                node.Name,
                api.IsNodeUnreachable ? $"node {node.Name} is offline: the API could not reach it ({api.StatusCode} {api.Reason})" : e.Message,
                FactsSource.Api,
                address);
        }
        catch (SourceUnavailableException e) when (e.InnerException is ProxmoxShapeException)
        {
            return NodeFacts.Unreadable(node.Name, e.Message, FactsSource.Api, address);
        }

        if (string.IsNullOrWhiteSpace(cpu.Flags))
        {
            return NodeFacts.Unreadable(
                node.Name,
                $"{origin}: the node status has no cpuinfo.flags (read_cpuinfo has returned it since libpve-common-perl 6.0-3, pve-common commit 568abb4, 2019); use facts.source = \"ssh\"",
                FactsSource.Api,
                address);
        }

        var parsed = CpuInfoParser.FromApi(cpu.Model ?? "", cpu.Flags, origin);
        return parsed.IsSuccess
            ? NodeFacts.Readable(node.Name, WithVendorFamily(parsed.Value, cpu), FactsSource.Api, address, _time.GetUtcNow()) with { Kernel = cpu.Kernel }
            : NodeFacts.Unreadable(node.Name, parsed.Error.ToString(), FactsSource.Api, address);
    }

    /// <summary>The node's own vendor_id and cpu family where the node status gives them (9.1.6+), instead of guessing from the model name.</summary>
    private static CpuInfo WithVendorFamily(CpuInfo cpu, NodeCpuInfo status) => cpu with
    {
        VendorId = status.Vendor ?? cpu.VendorId,
        Family = status.Family ?? cpu.Family,
    };
}
