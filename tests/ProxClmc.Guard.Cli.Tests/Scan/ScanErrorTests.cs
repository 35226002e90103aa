using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.Scan;

/// <summary>When scan cannot answer, it says why in one line naming the file (and line), with the documented exit code.</summary>
public sealed class ScanErrorTests
{
    [Fact]
    public void A_missing_snapshot_folder_exits_3_with_one_line_naming_it()
    {
        var result = GuardRun.Run("scan", "--from", "/nonexistent");

        Assert.Equal(3, result.Exit);
        Assert.Equal("", result.Out);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("/nonexistent", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cpu_value_Proxmox_refuses_is_judged_as_the_kvm64_it_starts_with_a_warning_naming_file_and_line()
    {
        using var tree = new TempTree().CopyFrom(GuardRun.Lab);
        var config = tree.PathOf("nodes", "pve2", "qemu-server", "103.conf");
        var lines = File.ReadAllLines(config);
        var cpuLine = Array.IndexOf(lines, "cpu: x86-64-v3") + 1;
        Assert.True(cpuLine > 0, "the lab's VM 103 has cpu: x86-64-v3");
        lines[cpuLine - 1] = "cpu: x86-64-v3,phys-bits=7";
        File.WriteAllText(config, string.Join('\n', lines) + "\n");

        var json = GuardRun.Run("scan", "--from", tree.Root, "--format", "json");
        var table = GuardRun.Run("scan", "--from", tree.Root, "-v");

        // Proxmox warns, drops the whole cpu key and starts kvm64: nothing stops the run, other guests stay unsafe.
        Assert.True(json.Exit == 2, json.ToString());
        Assert.Equal(2, table.Exit);
        using var doc = JsonDocument.Parse(json.Out);
        var guests = doc.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("vmid").GetInt32());
        Assert.Equal(25, guests.Count);
        Assert.Equal("ok", guests[103].GetProperty("verdict").GetString());
        var note = Assert.Single(guests[103].GetProperty("notes").EnumerateArray(), n => n.GetProperty("code").GetString() == "cpu-dropped");
        Assert.True(note.GetProperty("warning").GetBoolean());
        Assert.StartsWith($"{config}:{cpuLine}: phys-bits:", note.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("Proxmox ignores this cpu value and starts kvm64", note.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("exceeds-baseline", guests[104].GetProperty("verdict").GetString());
        Assert.Equal("host-cpu", guests[106].GetProperty("verdict").GetString());
        Assert.Equal("ok", guests[100].GetProperty("verdict").GetString());
        Assert.Contains(table.OutLines, l => l.Contains("Proxmox ignores this cpu value and starts kvm64", StringComparison.Ordinal));
    }

    [Fact]
    public void A_misspelt_config_key_exits_78_with_file_line_and_column()
    {
        var path = GuardRun.Fixture("policy", "misspelt-key.toml");

        var result = GuardRun.Run("scan", "--from", GuardRun.Lab, "--config", path);

        Assert.Equal(78, result.Exit);
        Assert.Equal("", result.Out);
        Assert.Equal($"proxclmc-guard: {path}:3:1: unknown key 'strict_vendr' in [policy] (did you mean 'strict_vendor'?)", Assert.Single(result.ErrorLines));
    }

    [Theory]
    [InlineData("scan", "--bogus")]
    [InlineData("scan", "--from")]
    [InlineData("scan", "--format", "xml", "--from", "/nonexistent")]
    [InlineData("scan", "--vmid", "abc")]
    [InlineData("frobnicate")]
    [InlineData("baseline", "--assume-node", "pve5")]
    public void Usage_errors_exit_64_and_say_what_is_wrong_first(params string[] args)
    {
        var result = GuardRun.Run(args);

        Assert.True(result.Exit == 64, result.ToString());
        Assert.Equal("", result.Out);
        Assert.StartsWith("proxclmc-guard: ", result.ErrorLines[0], StringComparison.Ordinal);
    }
}
