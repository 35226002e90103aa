using ProxClmc.Guard.Core.Facts;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>This node's own facts: /proc/cpuinfo, kernel, microcode and what its QEMU can run under KVM.</summary>
public interface IOwnFactsReader
{
    Task<NodeFactsDocument> ReadAsync(string node, CancellationToken cancellationToken);
}
