namespace ProxClmc.Guard.Testing.Ssh;

/// <summary>What <see cref="SshTamperingProxy"/> does to the server's side of an SSH connection.</summary>
public enum SshTamper
{
    /// <summary>After the identification line, a packet length of about 2 GiB instead of the server's KEXINIT.</summary>
    OversizedPacketLength,

    /// <summary>One bit of the host key signature in the key exchange reply is flipped (a forged server).</summary>
    CorruptHostKeySignature,

    /// <summary>One bit of the first encrypted packet after NEWKEYS is flipped (its tag no longer matches).</summary>
    CorruptEncryptedPacket,

    /// <summary>An IGNORE packet is slipped in before the server's KEXINIT (the Terrapin attack's first step).</summary>
    IgnoreBeforeKeyExchange,
}
