using ProxClmc.Guard.Core.Cpu;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>Adds what another source knows to facts already read (Proxmox's per-node KVM flags); leaves them as they are when it cannot.</summary>
public interface INodeFactsEnricher
{
    Task<IReadOnlyList<NodeFacts>> EnrichAsync(IReadOnlyList<NodeFacts> facts, CancellationToken cancellationToken);
}
