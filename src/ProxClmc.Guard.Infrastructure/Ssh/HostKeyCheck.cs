namespace ProxClmc.Guard.Infrastructure.Ssh;

/// <summary>The answer for one presented host key; <see cref="Entry"/> is the line that trusted, revoked or contradicts it.</summary>
internal sealed record HostKeyCheck(HostKeyStatus Status, string KeyType, string Fingerprint, KnownHostEntry? Entry = null)
{
    /// <summary>"ED25519 SHA256:..." as OpenSSH prints a key.</summary>
    public string KeyDescription => $"{HostKeys.DisplayType(KeyType)} {Fingerprint}";
}
