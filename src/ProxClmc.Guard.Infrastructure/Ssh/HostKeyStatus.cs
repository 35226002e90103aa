namespace ProxClmc.Guard.Infrastructure.Ssh;

internal enum HostKeyStatus
{
    Trusted,
    Unknown,

    /// <summary>A key of the same type is recorded for this host and differs: OpenSSH's "REMOTE HOST IDENTIFICATION HAS CHANGED".</summary>
    Changed,
    Revoked,
}
