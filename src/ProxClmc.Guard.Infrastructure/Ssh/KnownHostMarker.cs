namespace ProxClmc.Guard.Infrastructure.Ssh;

public enum KnownHostMarker
{
    None,

    /// <summary><c>@cert-authority</c>: a CA key for host certificates. Proxmox does not use host certificates; such lines are kept but never trust a plain key.</summary>
    CertAuthority,

    /// <summary><c>@revoked</c>: this key must never be accepted.</summary>
    Revoked,
}
