using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.Hook;

/// <summary>
/// A VM arriving from another cluster (<c>qm remote-migrate</c>): Proxmox runs the target's <c>pre-start</c> hook
/// without <c>PVE_MIGRATED_FROM</c>, on a config with <c>lock: migrate</c>. Given an /etc/pve-like tree and this node's
/// cpuinfo (Haswell-EP, from the corpus), the hook judges the guest against this node alone, as a migration.
/// </summary>
public sealed class HookRemoteMigrationTests : IDisposable
{
    private const string Target = "pve-haswell";

    private static readonly string HaswellCpuInfo = GuardRun.CpuInfo("intel-xeon-e5-2680v3-haswell.txt");

    private readonly TempTree _tree = new();

    public HookRemoteMigrationTests()
    {
        Place(105, "incoming-remote-skylake-server-ibrs.conf");
        Place(100, "incoming-remote-kvm64-default.conf");
        Place(106, "incoming-remote-host.conf");
        Place(107, "host.conf");
    }

    public void Dispose() => _tree.Dispose();

    private void Place(int vmid, string fixture) =>
        _tree.CopyFile(GuardRun.Fixture("hook", fixture), "pve", "nodes", Target, "qemu-server", $"{vmid}.conf");

    private CliResult Hook(int vmid, string extraConfig = "")
    {
        var config = _tree.Write(
            $"[cluster]\npve_root = \"{_tree.PathOf("pve")}\"\nlocal_node = \"{Target}\"\n\n[facts]\nlocal_cpuinfo = \"{HaswellCpuInfo}\"\n{extraConfig}",
            "proxclmc-guard.toml");
        return GuardRun.RunWith(new Dictionary<string, string>(), "hook", vmid.ToString(System.Globalization.CultureInfo.InvariantCulture), "pre-start", "--config", config);
    }

    [Fact]
    public void A_guest_this_node_cannot_run_is_refused_although_block_unsafe_start_is_off()
    {
        var result = Hook(105);

        Assert.Equal(2, result.Exit);
        var line = Assert.Single(result.ErrorLines, l => l.Contains("refusing", StringComparison.Ordinal));
        Assert.StartsWith($"proxclmc-guard: refusing incoming migration of VM 105 from another cluster to {Target}: lacks ", line, StringComparison.Ordinal);
        Assert.Contains("avx512f", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_guest_this_node_can_run_is_allowed()
    {
        var result = Hook(100);

        Assert.Equal(0, result.Exit);
        Assert.Equal("", result.Error);
    }

    [Fact]
    public void A_host_guest_from_a_node_of_another_cluster_is_refused_unless_allowed()
    {
        var refused = Hook(106);
        Assert.Equal(2, refused.Exit);
        Assert.Contains(
            $"proxclmc-guard: refusing incoming migration of VM 106 from another cluster to {Target}: cpu host passes the source node's CPU through, and the source is a node of another cluster whose CPU cannot be compared with {Target}'s (set [hook] allow_foreign_host_cpu = true to allow such moves)",
            refused.ErrorLines);

        var allowed = Hook(106, "\n[hook]\nallow_foreign_host_cpu = true\n");
        Assert.Equal(0, allowed.Exit);
        Assert.DoesNotContain(allowed.ErrorLines, l => l.Contains("refusing", StringComparison.Ordinal));
    }

    [Fact]
    public void A_plain_start_of_a_host_guest_is_still_only_a_start()
    {
        // No lock: nothing says it comes from anywhere (a start with qm start --skiplock on a locked VM is the only other way).
        var result = Hook(107);

        Assert.Equal(0, result.Exit);
        Assert.DoesNotContain(result.ErrorLines, l => l.Contains("refusing", StringComparison.Ordinal));
    }
}
