using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Baseline;

/// <summary>Given a snapshot of a cluster, <c>proxclmc-guard baseline</c> prints the CPU type every node can run.</summary>
public sealed class BaselineCommandTests
{
    private static string Snapshot(string name) => GuardRun.Fixture("snapshots", name);

    [Fact]
    public void The_lab_cluster_prints_one_row_per_node_and_x86_64_v2_AES()
    {
        var result = GuardRun.Run("baseline", "--from", GuardRun.Lab);

        Assert.True(result.Exit == 0, result.ToString());
        foreach (var (node, level) in new[] { ("pve1", "x86-64-v2-AES"), ("pve2", "x86-64-v3"), ("pve3", "x86-64-v3"), ("pve4", "x86-64-v4") })
        {
            var rows = result.OutLines.Where(l => l.TrimStart().StartsWith(node + " ", StringComparison.Ordinal)).ToList();
            var row = Assert.Single(rows);
            Assert.Contains(" " + level + " ", row, StringComparison.Ordinal);
        }

        Assert.Contains("Cluster CPU type: x86-64-v2-AES", result.OutLines);
        Assert.Contains("Best shared named model: SandyBridge-IBRS", result.OutLines);
        Assert.Equal("", result.Error);
    }

    [Fact]
    public void List_only_prints_exactly_one_line_with_the_model()
    {
        var result = GuardRun.Run("baseline", "--from", GuardRun.Lab, "--list-only");

        Assert.Equal(0, result.Exit);
        Assert.Equal("x86-64-v2-AES\n", result.Out);
    }

    [Fact]
    public void Json_output_parses_and_carries_the_schema_version()
    {
        var result = GuardRun.Run("baseline", "--from", GuardRun.Lab, "--format", "json");

        Assert.True(result.Exit == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        var root = json.RootElement;
        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(["pve1", "pve2", "pve3", "pve4"], root.GetProperty("cluster").GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("name").GetString()));
        Assert.Contains("x86-64-v2-AES", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_Sandy_Bridge_node_the_lab_baseline_rises_to_v3()
    {
        var result = GuardRun.Run("baseline", "--from", GuardRun.Lab, "--without-node", "pve1", "--list-only");

        Assert.Equal(0, result.Exit);
        Assert.Equal("x86-64-v3\n", result.Out);
    }

    [Fact]
    public void Assuming_an_older_node_lowers_the_lab_baseline()
    {
        // A Nehalem-EP box has SSE4.2 but no AES: the whole cluster would drop to x86-64-v2.
        var table = GuardRun.Run("baseline", "--from", GuardRun.Lab, "--assume-node", "pve5=" + GuardRun.CpuInfo("intel-xeon-x5570-nehalem-ep.txt"));
        var listOnly = GuardRun.Run("baseline", "--from", GuardRun.Lab, "--assume-node", "pve5=" + GuardRun.CpuInfo("intel-xeon-x5570-nehalem-ep.txt"), "--list-only");

        Assert.Equal("x86-64-v2\n", listOnly.Out);
        Assert.Contains("Cluster CPU type: x86-64-v2", table.OutLines);
        Assert.Single(table.OutLines, l => l.TrimStart().StartsWith("pve5 ", StringComparison.Ordinal) && l.Contains("X5570", StringComparison.Ordinal));
    }

    [Fact]
    public void Assuming_and_retiring_the_same_node_is_a_usage_error()
    {
        var result = GuardRun.Run("baseline", "--from", GuardRun.Lab, "--without-node", "pve5", "--assume-node", "pve5=" + GuardRun.CpuInfo("intel-xeon-x5570-nehalem-ep.txt"));

        Assert.Equal(64, result.Exit);
        Assert.Single(result.ErrorLines);
    }

    [Fact]
    public void Mixed_vendors_give_no_named_model_and_a_warning()
    {
        var result = GuardRun.Run("baseline", "--from", Snapshot("mixed-vendors"), "--format", "json");
        var table = GuardRun.Run("baseline", "--from", Snapshot("mixed-vendors"));

        using var json = JsonDocument.Parse(result.Out);
        var baseline = json.RootElement.GetProperty("cluster").GetProperty("baseline");
        Assert.Equal("x86-64-v3", baseline.GetProperty("cpuType").GetString());
        Assert.Equal(JsonValueKind.Null, baseline.GetProperty("namedModel").ValueKind);
        Assert.True(baseline.GetProperty("vendorMix").GetBoolean());
        Assert.Contains(baseline.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("different vendors", StringComparison.Ordinal));
        Assert.DoesNotContain(table.OutLines, l => l.StartsWith("Best shared named model", StringComparison.Ordinal));
        Assert.Contains(table.OutLines, l => l.StartsWith("Warning: The nodes have CPUs from different vendors", StringComparison.Ordinal));
        Assert.Equal(1, table.Exit);
    }

    [Fact]
    public void An_unreadable_node_stops_the_baseline_with_exit_3_and_one_line_naming_it()
    {
        var result = GuardRun.Run("baseline", "--from", Snapshot("unreadable-node"));

        Assert.Equal(3, result.Exit);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("pve-c", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Allow_partial_gives_the_other_nodes_marked_partial_with_exit_1()
    {
        var result = GuardRun.Run("baseline", "--from", Snapshot("unreadable-node"), "--allow-partial");
        var listOnly = GuardRun.Run("baseline", "--from", Snapshot("unreadable-node"), "--allow-partial", "--list-only");

        Assert.Equal(1, result.Exit);
        Assert.Contains("Cluster CPU type: x86-64-v3 (PARTIAL)", result.OutLines);
        Assert.Contains(result.OutLines, l => l.StartsWith("PARTIAL: could not read pve-c", StringComparison.Ordinal));
        Assert.Equal("x86-64-v3\n", listOnly.Out);
        Assert.Equal(1, listOnly.Exit);
    }

    private static IEnumerable<string> X86Files() =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Corpus, "cpuinfo"), "*.txt")
            .Select(f => Path.GetFileName(f))
            .Where(f => !f.StartsWith("NONX86-", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    public static TheoryData<string> X86CpuInfoFiles() => new(X86Files());

    [Theory]
    [MemberData(nameof(X86CpuInfoFiles))]
    public void X86_64_v1_never_appears_for_a_node_with_this_cpuinfo(string cpuinfo)
    {
        using var tree = new TempTree()
            .AddNode("node1", GuardRun.CpuInfo(cpuinfo))
            .CopyFile(Path.Combine(GuardRun.Lab, "nodes", "pve1", "qemu-server", "100.conf"), "nodes", "node1", "qemu-server", "100.conf")
            .CopyFile(Path.Combine(GuardRun.Lab, "nodes", "pve2", "qemu-server", "103.conf"), "nodes", "node1", "qemu-server", "103.conf");

        AssertNoV1(tree.Root);
    }

    [Fact]
    public void X86_64_v1_never_appears_for_a_cluster_of_every_x86_corpus_cpu()
    {
        using var tree = new TempTree().CopyFrom(Path.Combine(GuardRun.Lab, "nodes", "pve1"));
        var i = 0;
        foreach (var file in X86Files())
        {
            tree.AddNode($"n{++i:00}", GuardRun.CpuInfo(file));
        }

        // The copied pve1 folder holds its VMs at the root; give them a node of their own.
        Directory.Move(tree.PathOf("qemu-server"), tree.PathOf("nodes", "n01", "qemu-server"));
        File.Delete(tree.PathOf("cpuinfo"));
        AssertNoV1(tree.Root);
    }

    private static void AssertNoV1(string snapshot)
    {
        string[][] invocations =
        [
            ["baseline", "--from", snapshot],
            ["baseline", "--from", snapshot, "--allow-partial", "--list-only"],
            ["baseline", "--from", snapshot, "--allow-partial", "--format", "json"],
            ["scan", "--from", snapshot, "--allow-partial"],
            ["scan", "--from", snapshot, "--allow-partial", "--format", "json"],
            ["scan", "--from", snapshot, "--allow-partial", "--format", "prometheus"],
        ];
        foreach (var args in invocations)
        {
            var result = GuardRun.Run(args);
            Assert.True(result.Exit is 0 or 1 or 2 or 3, string.Join(' ', args) + "\n" + result);
            Assert.False(result.Out.Contains("x86-64-v1", StringComparison.OrdinalIgnoreCase), string.Join(' ', args) + "\n" + result.Out);
            Assert.False(result.Error.Contains("x86-64-v1", StringComparison.OrdinalIgnoreCase), string.Join(' ', args) + "\n" + result.Error);
        }
    }
}
