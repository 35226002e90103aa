using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Infrastructure.Qemu;

namespace ProxClmc.Guard.Composition;

/// <summary>This host's /proc/cpuinfo (facts.local_cpuinfo) and, when given a probe, its own QEMU under KVM.</summary>
internal sealed class OwnCpuInfoReading(IFileSystem fileSystem, string cpuInfoPath, TimeProvider clock, INodeQemuProbe? probe) : IOwnNodeReading
{
    public string CpuInfoPath => cpuInfoPath;

    public async Task<NodeFacts> ReadAsync(ClusterNode node, CancellationToken cancellationToken)
    {
        var facts = Read(node);
        if (facts.Cpu is null || probe is null)
        {
            return facts;
        }

        // This node's own QEMU under KVM, asked directly when no fresh published facts exist.
        var answer = await probe.ProbeAsync(cancellationToken).ConfigureAwait(false);
        return answer.Answer is { } qemu ? facts with { Qemu = qemu } : facts;
    }

    private NodeFacts Read(ClusterNode node)
    {
        var address = node.Addresses.FirstOrDefault() ?? "";
        try
        {
            var parsed = CpuInfoParser.Parse(fileSystem.ReadAllText(cpuInfoPath, FileLimits.ForCpuInfo), cpuInfoPath);
            return parsed.IsSuccess
                ? NodeFacts.Readable(node.Name, parsed.Value, FactsSource.Local, address, clock.GetUtcNow())
                : NodeFacts.Unreadable(node.Name, parsed.Error.ToString(), FactsSource.Local, address);
        }
        catch (IOException e)
        {
            return NodeFacts.Unreadable(node.Name, $"{cpuInfoPath}: {e.Message}", FactsSource.Local, address);
        }
        catch (UnauthorizedAccessException e)
        {
            return NodeFacts.Unreadable(node.Name, $"{cpuInfoPath}: {e.Message}", FactsSource.Local, address);
        }
    }
}
