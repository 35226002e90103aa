using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.Guests;

/// <summary>One section of a qemu-server config: the main section (<see cref="Name"/> ""), [PENDING], [special:*] or a snapshot.</summary>
public sealed record VmConfigSection(string Name, IReadOnlyList<KeyValuePair<string, string>> Entries, int Line)
{
    /// <summary>The value of a key (last one wins, as in Proxmox), or null.</summary>
    public string? Get(string key)
    {
        string? value = null;
        foreach (var entry in Entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.Ordinal))
            {
                value = entry.Value;
            }
        }

        return value;
    }
}

/// <summary>A VM config file (/etc/pve/nodes/&lt;node&gt;/qemu-server/&lt;vmid&gt;.conf) in Proxmox's format.</summary>
public sealed record VmConfig
{
    public required VmConfigSection Main { get; init; }

    public VmConfigSection? Pending { get; init; }

    /// <summary>Keys listed by <c>delete:</c> in [PENDING].</summary>
    public IReadOnlyList<string> PendingDeletes { get; init; } = [];

    public IReadOnlyList<VmConfigSection> Snapshots { get; init; } = [];

    /// <summary>[special:cloudinit], [special:fleecing], ...</summary>
    public IReadOnlyList<VmConfigSection> Special { get; init; } = [];

    /// <summary>The description, decoded from the percent-encoded <c>#</c> lines of the main section.</summary>
    public string Description { get; init; } = "";

    public static ParseResult<VmConfig> Parse(string text, string source) => throw new NotImplementedException();

    /// <summary>The guest as the compliance rules see it.</summary>
    public GuestConfig ToGuest(int vmId, string node, string? digest, string? origin) => throw new NotImplementedException();
}
