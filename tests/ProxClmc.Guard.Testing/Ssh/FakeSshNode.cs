using System.Diagnostics;

namespace ProxClmc.Guard.Testing.Ssh;

/// <summary>A running sshd of the fixture.</summary>
public sealed class FakeSshNode
{
    internal FakeSshNode(FakeSshNodeSpec spec, string address, string directory)
    {
        Spec = spec;
        Address = address;
        Directory = directory;
    }

    public FakeSshNodeSpec Spec { get; }

    public string Name => Spec.Name;

    /// <summary>The address sshd listens on (127.x.y.z or ::1).</summary>
    public string Address { get; }

    public string Directory { get; }

    /// <summary>Host public keys as "type base64" (ed25519 first).</summary>
    public IReadOnlyList<string> HostPublicKeys { get; internal set; } = [];

    public string SshdLog => Path.Combine(Directory, "sshd.log");

    internal Process? Process { get; set; }
}
