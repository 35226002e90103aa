using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Ssh;
using ProxClmc.Guard.Testing;
using ProxClmc.Guard.Testing.Ssh;

namespace ProxClmc.Guard.Infrastructure.Tests.Ssh;

/// <summary>
/// The collector's own SSH client against real sshd nodes, and against an attacker on the path (a proxy that alters what
/// the server sends): every attack ends the connection with one line naming the node, before any output is used.
/// </summary>
public sealed class SshWireClientTests(SshClusterFixture cluster) : IClassFixture<SshClusterFixture>
{
    private SshFixture Ssh => cluster.Ssh;

    private SshOptions Options(string? key = null) => new()
    {
        Port = Ssh.Port,
        IdentityFile = key ?? Ssh.ClientKeyEd25519,
        KnownHostsFiles = [Ssh.KnownHostsPlain, Ssh.KnownHostsByName],
        ConnectTimeout = ServerTimeouts.Answer,
        CommandTimeout = ServerTimeouts.Answer,
    };

    private static async Task<RemoteCpuInfo> ReadAsync(SshCpuInfoReader reader, string node, string address)
    {
        using var cts = new CancellationTokenSource(ServerTimeouts.Run);
        return await reader.ReadAsync(new ClusterNode(node, 1, [new NodeLink(0, address)]), cts.Token);
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("rsa-pem")]
    [InlineData("rsa-openssh")]
    public async Task Keys_in_openssh_and_pem_formats_are_used_by_the_collectors_own_client(string kind)
    {
        var key = kind switch
        {
            "ed25519" => Ssh.ClientKeyEd25519,
            "rsa-pem" => Ssh.ClientKeyRsaPem,
            _ => Ssh.ClientKeyRsaOpenSsh,
        };
        using var reader = new SshCpuInfoReader(Options(key));

        var result = await ReadAsync(reader, "pve2", Ssh["pve2"].Address);

        Assert.True(reader.UsesWireClient);
        Assert.True(result.IsSuccess, result.Error);
        Assert.Equal(File.ReadAllText(Ssh["pve2"].Spec.CpuInfoFile), result.Text);
    }

    [Theory]
    [InlineData("ecdsa", "256")]
    [InlineData("ecdsa", "384")]
    [InlineData("ecdsa", "521")]
    public async Task An_ecdsa_client_key_authenticates(string type, string bits)
    {
        var path = Path.Combine(Ssh.Directory, "client", $"id_{type}_{bits}");
        if (!File.Exists(path))
        {
            await RunKeygenAsync("-q", "-t", type, "-b", bits, "-N", "", "-C", "", "-f", path);
            File.AppendAllText(Path.Combine(Ssh.Directory, "client", "authorized_keys"), File.ReadAllText(path + ".pub"));
        }

        using var reader = new SshCpuInfoReader(Options(path));

        var result = await ReadAsync(reader, "pve3", Ssh["pve3"].Address);

        Assert.True(reader.UsesWireClient);
        Assert.True(result.IsSuccess, result.Error);
        Assert.Equal(File.ReadAllText(Ssh["pve3"].Spec.CpuInfoFile), result.Text);
    }

    [Fact]
    public async Task A_passphrase_protected_key_is_left_to_the_general_client()
    {
        var path = Path.Combine(Ssh.Directory, "client", "id_ed25519_protected");
        if (!File.Exists(path))
        {
            await RunKeygenAsync("-q", "-t", "ed25519", "-N", "secret", "-C", "", "-f", path);
        }

        var ex = Assert.Throws<GuardConfigurationException>(() => new SshCpuInfoReader(Options(path)));
        Assert.Contains("is protected by a passphrase", ex.Message);
    }

    [Theory]
    [InlineData(SshTamper.OversizedPacketLength, "SSH connection failed: the server sent a packet length of 2147483632 bytes, outside the SSH limits; refusing")]
    [InlineData(SshTamper.CorruptHostKeySignature, "SSH connection failed: the host key's signature over the key exchange does not verify (a forged or broken server); refusing")]
    [InlineData(SshTamper.CorruptEncryptedPacket, "SSH connection failed: a packet failed its integrity check (corrupted on the way, or altered by someone on the path); refusing")]
    [InlineData(SshTamper.IgnoreBeforeKeyExchange, "SSH connection failed: the server sent message 2 unexpected during key exchange")]
    public async Task An_attacker_on_the_path_is_refused_with_one_line_naming_the_node(SshTamper tamper, string reason)
    {
        var proxy = Ssh.StartTamperingProxy("pve1", tamper);
        using var reader = new SshCpuInfoReader(Options());

        var result = await ReadAsync(reader, "pve1", proxy);

        Assert.False(result.IsSuccess);
        Assert.Null(result.Text);
        Assert.Equal($"pve1 ({proxy}): {reason}", result.Error);
    }

    [Fact]
    public async Task A_forged_rsa_host_key_signature_is_refused_while_the_node_itself_is_read()
    {
        // known_hosts records only the RSA key (as Proxmox's cluster file does), so the server signs with rsa-sha2-512.
        var proxy = Ssh.StartTamperingProxy("pve4", SshTamper.CorruptHostKeySignature);
        var lines = Ssh["pve4"].HostPublicKeys.Where(k => k.StartsWith("ssh-rsa ", StringComparison.Ordinal)).Select(k => $"{Ssh.HostField("pve4")} {k}");
        using var reader = new SshCpuInfoReader(Options() with { KnownHostsFiles = [Ssh.WriteFile("known_hosts_pve4_rsa", lines)] });

        var result = await ReadAsync(reader, "pve4", proxy);

        Assert.Equal($"pve4 ({proxy}): SSH connection failed: the host key's signature over the key exchange does not verify (a forged or broken server); refusing", result.Error);
        var direct = await ReadAsync(reader, "pve4", Ssh["pve4"].Address);
        Assert.True(direct.IsSuccess, direct.Error);
    }

    private static async Task RunKeygenAsync(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(SshFixture.SshKeygen) { RedirectStandardOutput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = System.Diagnostics.Process.Start(psi)!;
        await p.WaitForExitAsync();
        Assert.Equal(0, p.ExitCode);
    }
}
