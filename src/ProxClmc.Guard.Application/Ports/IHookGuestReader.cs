using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>What the hook decision reads of this node's /etc/pve: the guest, the custom models and HA. Reads only, no digest.</summary>
public interface IHookGuestReader
{
    /// <summary>Where VM configs are looked for (for messages).</summary>
    string NodesPath { get; }

    /// <summary>The VM's config from whichever node's folder holds it, or null when none does.</summary>
    GuestConfig? FindVm(int vmId);

    /// <summary>The cluster's cpu-models.conf as text with its path, or null when there is none.</summary>
    (string Text, string Path)? ReadCustomModels();

    HaConfig ReadHa();

    IReadOnlyList<string> ListNodes();
}
