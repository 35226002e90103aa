using ProxClmc.Guard.Benchmarks;

namespace ProxClmc.Guard.Cli.Tests.Faults;

/// <summary>
/// CI runs the scale harness small (1,000 VMs, 8 nodes, 4 SSH nodes) with the CLI in-process: it must complete and print
/// the figures table. Times are printed, never asserted.
/// </summary>
public sealed class ScaleSmokeTests
{
    [Fact]
    public async Task The_scale_harness_in_smoke_mode_completes_and_prints_the_figures_table()
    {
        var output = new StringWriter();
        var options = ScaleOptions.Parse(["--smoke", "--in-process"]);

        var exit = await ScaleHarness.RunAsync(options, output);

        var text = output.ToString();
        Assert.True(exit == 0, text);
        Assert.Contains("case", text, StringComparison.Ordinal);
        Assert.Contains("peak RSS", text, StringComparison.Ordinal);
        Assert.Contains("scan via API (1000 VMs, 8 nodes)", text, StringComparison.Ordinal);
        Assert.Contains("baseline via API (8 nodes)", text, StringComparison.Ordinal);
        Assert.Contains("baseline via SSH (4 nodes at 200 ms)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("error:", text, StringComparison.Ordinal);
        Assert.Contains("exit 2", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Harness_options_default_to_the_issue_parameters_and_reject_unknown_ones()
    {
        var defaults = ScaleOptions.Parse([]);
        var custom = ScaleOptions.Parse(["--nodes", "16", "--vms", "500", "--latency-ms", "0", "--ssh-nodes", "0", "--parallelism", "4"]);

        Assert.Equal((64, 10_000, 2, 32, 200), (defaults.Nodes, defaults.Vms, defaults.LatencyMs, defaults.SshNodes, defaults.SshDelayMs));
        Assert.Equal((16, 500, 0, 0, 4), (custom.Nodes, custom.Vms, custom.LatencyMs, custom.SshNodes, custom.Parallelism));
        Assert.Throws<ArgumentException>(() => ScaleOptions.Parse(["--vms", "many"]));
        Assert.Throws<ArgumentException>(() => ScaleOptions.Parse(["--frobnicate"]));
    }
}
