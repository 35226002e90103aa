using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.Hook;

/// <summary>
/// A custom model whose reported-model is another custom model (Proxmox allows only QEMU's models there) once sent
/// the evaluator round a loop of models until the stack overflowed. Given such a model in the node's
/// cpu-models.conf, the hook names it with file, line and column and decides as [hook] fail_closed says.
/// </summary>
public sealed class HookCustomModelTests : IDisposable
{
    private const string Target = "pve-haswell";
    private static readonly string Cluster = GuardRun.Fixture("mixed-vendor-cluster");
    private readonly TempTree _tree = new();

    public HookCustomModelTests()
    {
        _tree.CopyFile(Path.Combine(Cluster, "nodes", "sky", "qemu-server", "211.conf"), "pve", "nodes", Target, "qemu-server", "211.conf");
        _tree.CopyFile(Path.Combine(Cluster, "virtual-guest", "cpu-models.conf"), "pve", "virtual-guest", "cpu-models.conf");
        Directory.CreateDirectory(_tree.PathOf("pve", "nodes", "pve-skylake", "qemu-server"));
    }

    public void Dispose() => _tree.Dispose();

    private CliResult Hook(string extra) => GuardRun.RunWith(
        new Dictionary<string, string> { ["PVE_MIGRATED_FROM"] = "pve-skylake" },
        "hook", "211", "pre-start", "--config",
        _tree.Write($"[cluster]\npve_root = \"{_tree.PathOf("pve")}\"\nlocal_node = \"{Target}\"\n\n[facts]\nlocal_cpuinfo = \"{GuardRun.CpuInfo("intel-xeon-e5-2680v3-haswell.txt")}\"\n{extra}", "proxclmc-guard.toml"));

    [Theory]
    [InlineData("", 0)]
    [InlineData("\n[hook]\nfail_closed = true\n", 2)]
    public void A_custom_model_reporting_another_custom_model_is_named_and_the_hook_decides_as_configured(string extra, int exit)
    {
        var result = Hook(extra);

        Assert.True(result.Exit == exit, result.ToString());
        Assert.Contains(result.ErrorLines, l => l.Contains(
            $"{_tree.PathOf("pve", "virtual-guest", "cpu-models.conf")}:12:20: reported-model 'custom-lab-ok' is not a built-in CPU model",
            StringComparison.Ordinal));
    }
}
