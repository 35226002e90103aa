namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>What an HA rule or group made by a placement fix looks like now.</summary>
public enum PlacementState
{
    /// <summary>As written: same resource, same nodes, strict (restricted).</summary>
    AsWritten,

    /// <summary>No longer there.</summary>
    Gone,

    /// <summary>Someone changed it since.</summary>
    Changed,
}
