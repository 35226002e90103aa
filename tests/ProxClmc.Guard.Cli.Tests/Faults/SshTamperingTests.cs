using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;
using ProxClmc.Guard.Testing.Ssh;

namespace ProxClmc.Guard.Cli.Tests.Faults;

/// <summary>
/// An attacker between the guard and one node's real sshd (a proxy altering the server's bytes): <c>baseline</c> over SSH
/// exits 3 with one line naming that node, reads the other node, and caches nothing for the attacked one.
/// </summary>
public sealed class SshTamperingTests
{
    [Theory]
    [InlineData(SshTamper.OversizedPacketLength, "outside the SSH limits")]
    [InlineData(SshTamper.CorruptHostKeySignature, "host key's signature over the key exchange does not verify")]
    [InlineData(SshTamper.CorruptEncryptedPacket, "failed its integrity check")]
    public async Task A_tampered_node_exits_3_with_one_line_naming_it(SshTamper tamper, string reason)
    {
        await using var ssh = await SshFixture.StartAsync(
        [
            new FakeSshNodeSpec("pve1", GuardRun.CpuInfo("intel-xeon-gold-6132-skylake-sp.txt")) { RsaHostKey = false },
            new FakeSshNodeSpec("pve2", GuardRun.CpuInfo("intel-xeon-gold-6230-cascadelake.txt")) { RsaHostKey = false },
        ]);
        var proxy = ssh.StartTamperingProxy("pve2", tamper);
        using var tree = new TempTree();
        var corosync = tree.Write(ssh.CorosyncConf().Replace($"ring0_addr: {ssh["pve2"].Address}\n", $"ring0_addr: {proxy}\n", StringComparison.Ordinal), "corosync.conf");
        var cache = tree.PathOf("facts-cache.json");
        var config = SshBaselineConfig.Write(tree, ssh, corosync, cache, ssh.KnownHostsByName);

        var result = GuardRun.Run("baseline", "--config", config);

        Assert.True(result.Exit == 3, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains($"pve2 ({proxy})", line, StringComparison.Ordinal);
        Assert.Contains(reason, line, StringComparison.Ordinal);
        Assert.Contains("pve1", result.Out, StringComparison.Ordinal);
        Assert.True(!File.Exists(cache) || !File.ReadAllText(cache).Contains("pve2", StringComparison.Ordinal), "no facts cached for the attacked node");
    }
}
