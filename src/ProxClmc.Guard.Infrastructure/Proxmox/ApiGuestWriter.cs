using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// Changes a VM's <c>cpu</c> with <c>PUT .../config</c>, always with the digest it was planned against, sent once.
/// On a running VM Proxmox puts the change in [PENDING] (no CPU hotplug): <see cref="WriteResult.Pending"/> says so.
/// </summary>
public sealed class ApiGuestWriter(ProxmoxClient client) : IGuestWriter
{
    public async Task<WriteResult> SetCpuAsync(string node, int vmId, string newCpu, string digest, CancellationToken cancellationToken)
    {
        try
        {
            await client.SetVmConfigAsync(node, vmId, [new("cpu", newCpu)], digest, cancellationToken).ConfigureAwait(false);
        }
        catch (SourceUnavailableException e)
        {
            return Classify(e);
        }

        try
        {
            var pending = await client.GetVmPendingAsync(node, vmId, cancellationToken).ConfigureAwait(false);
            var isPending = pending.Any(p => p.Key == "cpu" && p.Pending is not null);
            return new WriteResult(WriteOutcome.Written, isPending ? "pending until the VM is stopped and started again" : null, isPending);
        }
        catch (SourceUnavailableException e)
        {
            return new WriteResult(WriteOutcome.Written, $"written; could not re-read it: {e.Message}");
        }
    }

    /// <summary><c>fix --undo</c> of a VM that had no <c>cpu</c> line: PUT .../config with <c>delete=cpu</c> and the digest.</summary>
    public async Task<WriteResult> DeleteCpuAsync(string node, int vmId, string digest, CancellationToken cancellationToken)
    {
        try
        {
            await client.SetVmConfigAsync(node, vmId, [new("delete", "cpu")], digest, cancellationToken).ConfigureAwait(false);
            return new WriteResult(WriteOutcome.Written);
        }
        catch (SourceUnavailableException e)
        {
            return Classify(e);
        }
    }

    /// <summary>
    /// <c>fix --undo</c> of a change still pending: PUT .../config with <c>revert=cpu</c> and the digest. qemu-server's
    /// update_vm_api (src/PVE/API2/Qemu.pm, commit e6352be6) takes the current value as the new one, so the pending
    /// value is dropped as "no change" without the current value being verified again.
    /// </summary>
    public async Task<WriteResult> RevertCpuAsync(string node, int vmId, string digest, CancellationToken cancellationToken)
    {
        try
        {
            await client.SetVmConfigAsync(node, vmId, [new("revert", "cpu")], digest, cancellationToken).ConfigureAwait(false);
            return new WriteResult(WriteOutcome.Written);
        }
        catch (SourceUnavailableException e)
        {
            return Classify(e);
        }
    }

    public async Task<GuestConfig?> ReadGuestAsync(string node, int vmId, CancellationToken cancellationToken)
    {
        try
        {
            var status = await client.GetVmStatusAsync(node, vmId, cancellationToken).ConfigureAwait(false);
            return await ApiGuestReader.ReadAsync(client, node, vmId, null, status, cancellationToken).ConfigureAwait(false);
        }
        catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is { } api && ApiGuestReader.IsMissingConfig(api))
        {
            return null;
        }
    }

    private static WriteResult Classify(SourceUnavailableException e)
    {
        if (ProxmoxApiException.From(e) is not { } api)
        {
            // No answer: the change may or may not have been applied; the message says to re-read before retrying.
            return new WriteResult(WriteOutcome.Failed, e.Message);
        }

        if (api.Reason.Contains("detected modified configuration", StringComparison.OrdinalIgnoreCase) ||
            api.Reason.Contains("checksum mis", StringComparison.OrdinalIgnoreCase))
        {
            return new WriteResult(WriteOutcome.DigestMismatch, api.Reason);
        }

        if (api.Reason.StartsWith("VM is locked", StringComparison.Ordinal))
        {
            return new WriteResult(WriteOutcome.Locked, api.Reason);
        }

        return new WriteResult(WriteOutcome.Failed, e.Message);
    }
}
