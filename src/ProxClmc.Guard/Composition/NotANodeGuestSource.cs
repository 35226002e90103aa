using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Composition;

/// <summary>Guests on a host that is not a Proxmox VE node: there are none to read, which is an error, not an empty cluster.</summary>
internal sealed class NotANodeGuestSource(string pveRoot) : IGuestSource
{
    public Task<GuestInventory> GetGuestsAsync(CancellationToken cancellationToken) =>
        throw new SourceUnavailableException(
            $"this host is not a Proxmox VE node (no {Path.Combine(pveRoot, "nodes")}), so it has no guest configs: " +
            "run on a node, configure [api] url and credentials, or use --from <snapshot>");
}
