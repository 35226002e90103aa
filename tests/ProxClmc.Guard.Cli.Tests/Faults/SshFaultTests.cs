using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;
using ProxClmc.Guard.Testing.Ssh;

namespace ProxClmc.Guard.Cli.Tests.Faults;

/// <summary>A node whose sshd never answers: baseline over real SSH gives up on it at ssh.command_timeout_seconds and says so.</summary>
public sealed class SshFaultTests
{
    [Fact]
    public async Task A_node_slower_than_the_ssh_command_timeout_exits_3_naming_it_and_writes_no_cache_for_it()
    {
        await using var ssh = await SshFixture.StartAsync(
        [
            new FakeSshNodeSpec("pve1", GuardRun.CpuInfo("intel-xeon-gold-6132-skylake-sp.txt")) { RsaHostKey = false },
            new FakeSshNodeSpec("pve-slow", GuardRun.CpuInfo("intel-xeon-gold-6230-cascadelake.txt")) { RsaHostKey = false, NeverAnswers = true },
        ]);
        using var tree = new TempTree();
        var corosync = tree.Write(ssh.CorosyncConf(), "corosync.conf");
        var cache = tree.PathOf("facts-cache.json");
        var config = SshBaselineConfig.Write(tree, ssh, corosync, cache, ssh.KnownHostsPlain);

        var result = GuardRun.Run("baseline", "--config", config);

        Assert.True(result.Exit == 3, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("pve-slow", line, StringComparison.Ordinal);
        Assert.Contains("pve1", result.Out, StringComparison.Ordinal);
        Assert.True(!File.Exists(cache) || !File.ReadAllText(cache).Contains("pve-slow", StringComparison.Ordinal), "no facts cached for the node that did not answer");
    }
}
