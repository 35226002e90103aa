using System.Text;
using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Cli.Tests.Faults;

/// <summary>Bad input on disk: files far over any sane size, and names built to break out of the tree or into a shell.</summary>
public sealed class InputFaultTests
{
    [Fact]
    public void A_20_mb_cpuinfo_for_an_assumed_node_is_refused_naming_the_file_and_the_limit()
    {
        using var tree = new TempTree();
        var huge = tree.PathOf("huge-cpuinfo");
        var block = File.ReadAllText(GuardRun.CpuInfo("intel-xeon-gold-6132-skylake-sp.txt"));
        using (var writer = new StreamWriter(huge, false, new UTF8Encoding(false)))
        {
            while (writer.BaseStream.Length < 20L * 1024 * 1024)
            {
                writer.Write(block);
                writer.Flush();
            }
        }

        var result = GuardRun.Run("baseline", "--from", GuardRun.Lab, "--assume-node", $"pve9={huge}");

        Assert.True(result.Exit is 3 or 64 or 78, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains(huge, line, StringComparison.Ordinal);
        Assert.Contains(InputLimits.MaxCpuInfoBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), line, StringComparison.Ordinal);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void A_2_mb_vm_config_in_a_snapshot_is_refused_naming_the_file_and_the_limit_and_the_other_guests_are_judged()
    {
        using var tree = new TempTree().CopyFrom(GuardRun.Lab);
        var config = tree.PathOf("nodes", "pve1", "qemu-server", "100.conf");
        var text = new StringBuilder(File.ReadAllText(config));
        while (text.Length < 2 * 1024 * 1024)
        {
            text.Append("#padding%20line%20of%20a%20runaway%20description\n");
        }

        File.WriteAllText(config, text.ToString());
        var before = Snapshot(tree.Root);

        var result = GuardRun.Run("scan", "--from", tree.Root, "--format", "json");

        Assert.True(result.Exit == 3, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains(config, line, StringComparison.Ordinal);
        Assert.Contains(InputLimits.MaxPmxcfsFileBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), line, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(result.Out);
        var guests = doc.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("vmid").GetInt32());
        Assert.Equal(25, guests.Count);
        Assert.Equal("invalid-config", guests[100].GetProperty("verdict").GetString());
        Assert.Equal(before, Snapshot(tree.Root));
    }

    [Fact]
    public void Unicode_and_shell_metacharacters_in_names_are_data_never_commands_or_paths()
    {
        using var tree = new TempTree();
        var outside = Path.Combine(Path.GetDirectoryName(tree.Root)!, "proxclmc-pwned-" + Path.GetFileName(tree.Root));
        // A hostname cannot hold a space, so corosync.conf never has one in a name: ${IFS} stands in for it.
        const string evilNode = "pve-ü;$(touch${IFS}x)`touch${IFS}y`&|<>";
        tree.AddNode("pve1", GuardRun.CpuInfo("intel-xeon-gold-6132-skylake-sp.txt"));
        tree.AddNode(evilNode, GuardRun.CpuInfo("intel-xeon-gold-6230-cascadelake.txt"));
        tree.Write($$"""
            nodelist {
              node {
                name: pve1
                nodeid: 1
                ring0_addr: 10.0.0.1
              }
              node {
                name: {{evilNode}}
                nodeid: 2
                ring0_addr: 10.0.0.2
              }
              node {
                name: ..
                nodeid: 3
                ring0_addr: 10.0.0.3
              }
              node {
                name: ../../etc
                nodeid: 4
                ring0_addr: 10.0.0.4
              }
            }
            totem {
              cluster_name: evil
              version: 2
            }
            """, "corosync.conf");
        tree.Write($"cpu: x86-64-v2-AES\nname: $(touch {outside})\nmemory: 1024\n", "nodes", "pve1", "qemu-server", "100.conf");
        tree.Write("cpu: host\nname: a;rm -rf ~|`id`>ü\nmemory: 1024\ntags: $(reboot);ü\n", "nodes", evilNode, "qemu-server", "101.conf");
        var before = Snapshot(tree.Root);
        var cwdBefore = Directory.GetFileSystemEntries(Environment.CurrentDirectory).Length;

        var json = GuardRun.Run("scan", "--from", tree.Root, "--format", "json", "--allow-partial");
        var table = GuardRun.Run("scan", "--from", tree.Root, "--allow-partial");

        Assert.True(json.Exit is 1 or 2, json.ToString());
        Assert.Equal(json.Exit, table.Exit);
        using var doc = JsonDocument.Parse(json.Out);
        var guests = doc.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("vmid").GetInt32());
        Assert.Equal($"$(touch {outside})", guests[100].GetProperty("name").GetString());
        Assert.Equal(evilNode, guests[101].GetProperty("node").GetString());
        Assert.Contains(evilNode, table.Out, StringComparison.Ordinal);

        // The nodes named ".." and "../../etc" are never read through: they are reported as unreadable.
        var cluster = doc.RootElement.GetProperty("cluster");
        var unreadable = cluster.GetProperty("baseline").GetProperty("unreadableNodes").EnumerateArray().Select(n => n.GetString()).ToList();
        Assert.Contains("..", unreadable);
        Assert.Contains("../../etc", unreadable);
        Assert.DoesNotContain(evilNode, unreadable);
        Assert.False(File.Exists(outside), "a VM name reached a shell");
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "x")) || File.Exists(Path.Combine(Environment.CurrentDirectory, "y")), "a node name reached a shell");
        Assert.Equal(cwdBefore, Directory.GetFileSystemEntries(Environment.CurrentDirectory).Length);
        Assert.Equal(before, Snapshot(tree.Root));
    }

    /// <summary>Every file under the tree with its length and write time: a run that only reads leaves it equal.</summary>
    private static string Snapshot(string root) =>
        string.Join("\n", Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(p => $"{p} {(File.Exists(p) ? new FileInfo(p).Length : -1)} {File.GetLastWriteTimeUtc(p).Ticks}"));
}
