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
        Assert.Contains("reference (same run)", text, StringComparison.Ordinal);
        Assert.Contains("baseline via SSH (1 node, in-process)", text, StringComparison.Ordinal);
        Assert.Contains("OpenSSH ssh", text, StringComparison.Ordinal);
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
        Assert.Throws<ArgumentException>(() => ScaleOptions.Parse(["--format", "xml"]));
        Assert.Equal("json", ScaleOptions.Parse(["--format", "json"]).Format);
        Assert.Equal("/opt/proxclmc", ScaleOptions.Parse(["--proxclmc", "/opt/proxclmc"]).ProxClmcPath);
    }

    [Fact]
    public void Json_figures_give_one_object_per_case_with_figure_unit_goal_met_and_reference()
    {
        ScaleFigure[] figures =
        [
            new("API scan, client CPU per request", TimeSpan.Zero, null, 20_000, "<= 150 µs", false)
            {
                Figure = new("", 412.5, "µs/request"),
                Reference = "fake Proxmox 380 µs/request",
                Values = [new("server_cpu_per_request", 380, "µs")],
            },
            new("scan via API", TimeSpan.FromSeconds(2.5), 150 * 1024, 20_000, "<= 3 s, <= 200 MB", true) { Cpu = TimeSpan.FromSeconds(1.2) },
        ];

        using var json = System.Text.Json.JsonDocument.Parse(ScaleHarness.FormatJson("run", figures, [], []));

        var cases = json.RootElement.GetProperty("cases").EnumerateArray().ToList();
        Assert.Equal(2, cases.Count);
        Assert.Equal("API scan, client CPU per request", cases[0].GetProperty("name").GetString());
        Assert.Equal(412.5, cases[0].GetProperty("figure").GetDouble());
        Assert.Equal("µs/request", cases[0].GetProperty("unit").GetString());
        Assert.Equal("<= 150 µs", cases[0].GetProperty("goal").GetString());
        Assert.False(cases[0].GetProperty("met").GetBoolean());
        Assert.Equal("fake Proxmox 380 µs/request", cases[0].GetProperty("reference").GetString());
        Assert.Equal(380, cases[0].GetProperty("figures").GetProperty("server_cpu_per_request_us").GetDouble());
        Assert.True(cases[1].GetProperty("met").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, cases[1].GetProperty("figure").ValueKind);
        Assert.Equal(2500, cases[1].GetProperty("figures").GetProperty("wall_ms").GetDouble());
        Assert.Equal(150, cases[1].GetProperty("figures").GetProperty("peak_rss_MB").GetDouble());
    }
}
