using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Golden;

/// <summary>
/// Given the bundled lab cluster, <c>scan --from contrib/examples/lab-cluster</c> prints exactly the pinned files.
/// The files were reviewed guest by guest (each VM's name and config say which verdict it exists to show).
/// After an intended change of the output, regenerate them with
/// <c>PROXCLMC_UPDATE_GOLDEN=1 dotnet test tests/ProxClmc.Guard.Cli.Tests --filter FullyQualifiedName~Golden</c>,
/// review the diff, and commit it; without the variable any difference fails the test.
/// </summary>
public sealed class LabClusterScanGoldenTests
{
    private static string GoldenPath(string name) => RepoPaths.Combine("tests", "ProxClmc.Guard.Cli.Tests", "Golden", name);

    /// <summary>The repository's location differs per machine; the golden files name paths relative to it.</summary>
    private static string Relative(string text) => text.Replace(RepoPaths.Root + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);

    [Theory]
    [InlineData("table", "scan-lab-cluster.txt")]
    [InlineData("json", "scan-lab-cluster.json")]
    public void Scan_of_the_lab_cluster_prints_the_reviewed_report_and_exits_2(string format, string golden)
    {
        var result = GuardRun.Run("scan", "--from", GuardRun.Lab, "--format", format);

        Assert.True(result.Exit == 2, result.ToString());
        var actual = Relative(result.Out);
        var path = GoldenPath(golden);
        if (Environment.GetEnvironmentVariable("PROXCLMC_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"{path} is missing: run with PROXCLMC_UPDATE_GOLDEN=1 once and review it");
        var expected = File.ReadAllText(path);
        AssertSameText(expected, actual, path);
    }

    [Fact]
    public void Every_lab_guest_gets_the_verdict_it_was_built_to_show()
    {
        // The golden files pin the whole text; this states the intent per guest, so a regenerated file that
        // changes a verdict still fails here.
        var expected = new Dictionary<int, string>
        {
            [100] = "ok",               // no cpu line: kvm64
            [101] = "ok",               // x86-64-v2
            [102] = "ok",               // pending cpu change (note)
            [103] = "exceeds-baseline", // x86-64-v3, pve1 is Sandy Bridge
            [104] = "exceeds-baseline", // x86-64-v4
            [105] = "exceeds-baseline", // Skylake-Server-IBRS
            [106] = "host-cpu",         // host on different nodes
            [107] = "host-cpu",         // max
            [108] = "not-applicable",   // kvm: 0
            [109] = "ok",               // custom model
            [110] = "exceeds-baseline", // +ssbd that pve2 lacks
            [111] = "exceeds-baseline", // args: -cpu Haswell-noTSX
            [112] = "exceeds-baseline", // +hv-evmcs needs Intel VMX, which pve3 (a VM) lacks
            [113] = "ok",               // template (note)
            [114] = "exceeds-baseline", // locked (note)
            [115] = "ignored",          // proxclmc-ignore tag
            [116] = "ok",
            [117] = "ok",               // RAM snapshot with runningcpu (note)
            [118] = "ok",               // suspended (note)
            [119] = "ok",               // phys-bits=host (note)
            [120] = "exceeds-baseline", // EPYC-Rome on Intel nodes
            [121] = "unknown-model",    // typo
            [122] = "unverified",       // unknown flag in args -cpu
            [123] = "ok",
            [200] = "not-applicable",   // LXC
        };

        var result = GuardRun.Run("scan", "--from", GuardRun.Lab, "--format", "json");
        using var json = System.Text.Json.JsonDocument.Parse(result.Out);
        var actual = json.RootElement.GetProperty("guests").EnumerateArray()
            .ToDictionary(g => g.GetProperty("vmid").GetInt32(), g => g.GetProperty("verdict").GetString());

        Assert.Equal(expected.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"), actual.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"));
    }

    [Fact]
    public void Unsafe_guests_are_listed_first_then_warnings_then_the_rest()
    {
        var result = GuardRun.Run("scan", "--from", GuardRun.Lab, "--format", "json");
        using var json = System.Text.Json.JsonDocument.Parse(result.Out);
        var order = json.RootElement.GetProperty("guests").EnumerateArray().Select(g => g.GetProperty("verdict").GetString()).ToList();

        static int Group(string? verdict) => verdict switch
        {
            "exceeds-baseline" or "host-cpu" or "unknown-model" => 0,
            "unverified" => 1,
            _ => 2,
        };

        var groups = order.Select(Group).ToList();
        Assert.Equal(groups.Order(), groups);
        Assert.Equal(11, groups.Count(g => g == 0));
    }

    [Theory]
    [InlineData(102, "pending-change")]
    [InlineData(111, "args-override")]
    [InlineData(113, "template")]
    [InlineData(114, "locked")]
    [InlineData(117, "snapshot-runningcpu")]
    [InlineData(118, "suspended")]
    [InlineData(119, "phys-bits-host")]
    [InlineData(109, "custom-model")]
    public void Lab_guests_carry_the_note_they_were_built_to_show(int vmid, string note)
    {
        var result = GuardRun.Run("scan", "--from", GuardRun.Lab, "--format", "json");
        using var json = System.Text.Json.JsonDocument.Parse(result.Out);
        var guest = json.RootElement.GetProperty("guests").EnumerateArray().Single(g => g.GetProperty("vmid").GetInt32() == vmid);

        Assert.Contains(note, guest.GetProperty("notes").EnumerateArray().Select(n => n.GetProperty("code").GetString()));
    }

    private static void AssertSameText(string expected, string actual, string path)
    {
        if (expected == actual)
        {
            return;
        }

        var e = expected.Split('\n');
        var a = actual.Split('\n');
        var line = Enumerable.Range(0, Math.Min(e.Length, a.Length)).FirstOrDefault(i => e[i] != a[i], Math.Min(e.Length, a.Length));
        Assert.Fail($"{path}:{line + 1}: output differs from the golden file\n expected: {(line < e.Length ? e[line] : "<end>")}\n   actual: {(line < a.Length ? a[line] : "<end>")}\n(PROXCLMC_UPDATE_GOLDEN=1 regenerates it after an intended change)");
    }
}
