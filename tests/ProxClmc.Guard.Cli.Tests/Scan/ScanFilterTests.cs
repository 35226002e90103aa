using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.Scan;

/// <summary>Given the lab cluster, <c>scan --vmid/--node/--tag</c> judge only the chosen guests, and the exit code follows them.</summary>
public sealed class ScanFilterTests
{
    private static (int Exit, int[] VmIds) Scan(params string[] filters)
    {
        var result = GuardRun.Run(["scan", "--from", GuardRun.Lab, "--format", "json", .. filters]);
        using var doc = JsonDocument.Parse(result.Out);
        return (result.Exit, doc.RootElement.GetProperty("guests").EnumerateArray().Select(g => g.GetProperty("vmid").GetInt32()).Order().ToArray());
    }

    [Fact]
    public void Safe_guests_chosen_by_vmid_exit_0()
    {
        var (exit, ids) = Scan("--vmid", "100", "--vmid", "101");

        Assert.Equal(0, exit);
        Assert.Equal([100, 101], ids);
    }

    [Fact]
    public void A_node_filter_keeps_that_node_s_guests()
    {
        var (exit, ids) = Scan("--node", "pve3");

        Assert.Equal(2, exit);
        Assert.Equal(Directory.EnumerateFiles(Path.Combine(GuardRun.Lab, "nodes", "pve3", "qemu-server")).Select(f => int.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture)).Order(), ids);
    }

    [Fact]
    public void A_tag_filter_keeps_tagged_guests()
    {
        var (exit, ids) = Scan("--tag", "gpu");

        Assert.Equal([115], ids);
        Assert.Equal(0, exit);
    }

    [Fact]
    public void A_warning_only_selection_exits_1()
    {
        var (exit, ids) = Scan("--vmid", "122");

        Assert.Equal([122], ids);
        Assert.Equal(1, exit);
    }
}
