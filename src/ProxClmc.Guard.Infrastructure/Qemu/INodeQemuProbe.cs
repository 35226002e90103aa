namespace ProxClmc.Guard.Infrastructure.Qemu;

/// <summary>Asks this node's QEMU what it can run under KVM.</summary>
public interface INodeQemuProbe
{
    Task<QemuProbeResult> ProbeAsync(CancellationToken cancellationToken);
}
