using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Api;

/// <summary>The config lines the fake Proxmox prints for manual runs work when pasted together into one file.</summary>
public sealed class FakePveConfigLinesTests
{
    [Fact]
    public async Task The_printed_lines_pasted_into_a_config_file_give_a_working_run()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = RepoPaths.LabCluster });
        using var tree = new TempTree();
        var config = tree.Write(ConfigSnippet.For(pve) + $"\n[facts]\ncache_file = \"{tree.PathOf("facts-cache.json")}\"\n", "proxclmc-guard.toml");

        var result = GuardRun.Run("baseline", "--config", config, "--list-only");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal("x86-64-v2-AES\n", result.Out);
        Assert.StartsWith("[api]\n", ConfigSnippet.For(pve), StringComparison.Ordinal);
    }
}
