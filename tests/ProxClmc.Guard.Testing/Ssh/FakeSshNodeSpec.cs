namespace ProxClmc.Guard.Testing.Ssh;

/// <summary>One fake Proxmox node: a name and the /proc/cpuinfo its sshd serves.</summary>
public sealed record FakeSshNodeSpec(string Name, string CpuInfoFile)
{
    /// <summary>Seconds the forced command waits before printing (a slow node).</summary>
    public double DelaySeconds { get; init; }

    /// <summary>The forced command never prints anything (a hung node): it waits until the client gives up.</summary>
    public bool NeverAnswers { get; init; }

    /// <summary>Listen on ::1 instead of a 127.x.y.z address of its own (only one such node per fixture).</summary>
    public bool Ipv6 { get; init; }

    /// <summary>Also generate an RSA host key (Proxmox's cluster known_hosts records RSA keys).</summary>
    public bool RsaHostKey { get; init; } = true;

    /// <summary>False: this node's authorized_keys is empty, so the client key is refused.</summary>
    public bool AuthorizesClient { get; init; } = true;

    /// <summary>Bytes the forced command writes to stderr before the cpuinfo (a node flooding stderr).</summary>
    public long StderrBytes { get; init; }
}
