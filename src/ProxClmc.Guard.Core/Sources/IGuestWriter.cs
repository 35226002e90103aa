using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Core.Sources;

/// <summary>Changes one VM's <c>cpu</c>, always with the digest it was planned against.</summary>
public interface IGuestWriter
{
    Task<WriteResult> SetCpuAsync(string node, int vmId, string newCpu, string digest, CancellationToken cancellationToken);

    Task<GuestConfig?> ReadGuestAsync(string node, int vmId, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the <c>cpu</c> line (back to kvm64), digest-guarded: <c>fix --undo</c> of a VM that had none.
    /// Proxmox: PUT .../config with <c>delete=cpu&amp;digest=...</c>. The default answers Failed, for writers that cannot.
    /// </summary>
    Task<WriteResult> DeleteCpuAsync(string node, int vmId, string digest, CancellationToken cancellationToken) =>
        Task.FromResult(new WriteResult(WriteOutcome.Failed, "this writer cannot delete the cpu option"));

    /// <summary>
    /// Drops a pending <c>cpu</c> change, digest-guarded, as <c>qm set &lt;id&gt; --revert cpu</c> does: the value the VM
    /// runs stays, whatever it is (even one Proxmox would refuse to be written). Proxmox: PUT .../config with
    /// <c>revert=cpu&amp;digest=...</c>. The default answers Failed, for writers that cannot.
    /// </summary>
    Task<WriteResult> RevertCpuAsync(string node, int vmId, string digest, CancellationToken cancellationToken) =>
        Task.FromResult(new WriteResult(WriteOutcome.Failed, "this writer cannot revert a pending change"));
}
