using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.Ha;

/// <summary>
/// The hookscript on a Haswell migration target, for a Skylake-Server guest that a strict HA rule keeps on the
/// Skylake nodes: the HA manager would refuse the move anyway; the refusal names the rule too.
/// </summary>
public sealed class HaHookTests : IDisposable
{
    private const string Target = "pve-haswell";
    private const string Source = "pve-skylake";

    private readonly TempTree _tree = new();

    public HaHookTests()
    {
        _tree.CopyFile(GuardRun.Fixture("hook", "skylake-server-ibrs.conf"), "pve", "nodes", Target, "qemu-server", "105.conf");
        _tree.CopyFile(GuardRun.Fixture("hook", "kvm64-default.conf"), "pve", "nodes", Target, "qemu-server", "100.conf");
        Directory.CreateDirectory(_tree.PathOf("pve", "nodes", Source, "qemu-server"));
        Directory.CreateDirectory(_tree.PathOf("pve", "nodes", "pve-skylake2", "qemu-server"));
    }

    public void Dispose() => _tree.Dispose();

    private CliResult Hook(int vmid)
    {
        var config = _tree.Write(
            $"[cluster]\npve_root = \"{_tree.PathOf("pve")}\"\nlocal_node = \"{Target}\"\n\n[facts]\nlocal_cpuinfo = \"{GuardRun.CpuInfo("intel-xeon-e5-2680v3-haswell.txt")}\"\n",
            "proxclmc-guard.toml");
        return GuardRun.RunWith(new Dictionary<string, string> { ["PVE_MIGRATED_FROM"] = Source }, "hook", vmid.ToString(System.Globalization.CultureInfo.InvariantCulture), "pre-start", "--config", config);
    }

    private void AddHa(string file) => _tree.CopyFile(GuardRun.Fixture("ha", file), "pve", "ha", file);

    [Fact]
    public void A_refused_migration_outside_a_strict_rule_names_the_rule()
    {
        AddHa("resources.cfg");
        AddHa("rules.cfg");

        var result = Hook(105);

        Assert.Equal(2, result.Exit);
        var line = Assert.Single(result.ErrorLines, l => l.Contains("refusing", StringComparison.Ordinal));
        Assert.StartsWith($"proxclmc-guard: refusing migration of VM 105 from {Source} to {Target}: lacks ", line, StringComparison.Ordinal);
        Assert.EndsWith($"; {Target} is also outside strict HA rule 'skx-only' (pve-skylake, pve-skylake2), which the HA manager enforces", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_HA_files_the_refusal_says_only_the_CPU_reason()
    {
        var result = Hook(105);

        Assert.Equal(2, result.Exit);
        Assert.DoesNotContain(result.ErrorLines, l => l.Contains("HA", StringComparison.Ordinal));
    }

    [Fact]
    public void A_broken_HA_file_never_changes_the_hooks_answer()
    {
        AddHa("resources.cfg");
        _tree.Write("node-affinity: skx-only\n\tstrict sometimes\n", "pve", "ha", "rules.cfg");

        var refused = Hook(105);
        var allowed = Hook(100);

        Assert.Equal(2, refused.Exit);
        Assert.DoesNotContain(refused.ErrorLines, l => l.Contains("HA rule", StringComparison.Ordinal));
        Assert.Equal(0, allowed.Exit);
    }
}
