using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Parsing;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Infrastructure.Facts;

/// <summary>
/// This host's own CPU, from <c>facts.local_cpuinfo</c> (default <c>/proc/cpuinfo</c>), without SSH.
/// As a source on its own (<c>facts.source = "local"</c>) every other node is unreadable.
/// </summary>
internal sealed class LocalFactsSource(
    string cpuInfoPath,
    IFileReader files,
    IHostIdentity host,
    TimeProvider time,
    string? configuredLocalNode = null) : INodeFactsSource
{
    public const string DefaultCpuInfoPath = "/proc/cpuinfo";

    /// <summary>This host's entry in the membership, or null when it is not a member.</summary>
    public ClusterNode? FindLocalNode(ClusterMembership membership) => LocalNode.Find(membership, host, configuredLocalNode);

    public async Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken)
    {
        var local = FindLocalNode(membership);
        var result = new List<NodeFacts>();
        foreach (var node in membership.Nodes)
        {
            result.Add(node == local
                ? await ReadAsync(node, cancellationToken).ConfigureAwait(false)
                : NodeFacts.Unreadable(node.Name, $"{node.Name}: facts.source = \"local\" reads only this host ({host.HostName})", FactsSource.Local, node.Addresses.FirstOrDefault() ?? ""));
        }

        return result;
    }

    /// <summary>Reads the local cpuinfo file as the facts of <paramref name="node"/>; never throws for an unreadable or bad file.</summary>
    public async Task<NodeFacts> ReadAsync(ClusterNode node, CancellationToken cancellationToken)
    {
        var address = node.Addresses.FirstOrDefault() ?? "";
        string text;
        try
        {
            text = await files.ReadTextAsync(cpuInfoPath, InputLimits.MaxCpuInfoBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var why = ex is FileNotFoundException or DirectoryNotFoundException ? "does not exist" : $"cannot be read ({ex.Message})";
            return NodeFacts.Unreadable(node.Name, $"{node.Name}: {cpuInfoPath} {why}", FactsSource.Local, address);
        }

        var parsed = CpuInfoParser.Parse(text, cpuInfoPath);
        return parsed.IsSuccess
            ? NodeFacts.Readable(node.Name, parsed.Value, FactsSource.Local, address, time.GetUtcNow())
            : NodeFacts.Unreadable(node.Name, parsed.Error.ToString(), FactsSource.Local, address);
    }
}
