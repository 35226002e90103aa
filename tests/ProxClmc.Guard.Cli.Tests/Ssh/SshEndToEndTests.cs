using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Snapshot;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;
using Xunit.Abstractions;

namespace ProxClmc.Guard.Cli.Tests.Ssh;

/// <summary>
/// The command line against real OpenSSH servers: <c>baseline</c> and <c>scan</c> over SSH give the answers of
/// <c>--from</c> on a snapshot with the same cpuinfo files, and <c>snapshot --out</c> of the live cluster reproduces them.
/// </summary>
public sealed class SshEndToEndTests(SshCliFixture cluster, ITestOutputHelper output) : IClassFixture<SshCliFixture>
{
    [Fact]
    public void Baseline_over_ssh_gives_the_rows_of_the_same_cpuinfo_files_read_from_a_snapshot()
    {
        var config = cluster.Config(cluster.PveTree());
        var snapshot = cluster.NewFolder("fixture-snapshot");
        cluster.Ssh.WriteSnapshot(snapshot);

        var live = GuardRun.Run("baseline", "--config", config, "--format", "json");
        var offline = GuardRun.Run("baseline", "--from", snapshot, "--format", "json");

        Assert.True(live.Exit is 0 or 1, live.ToString());
        Assert.Equal(offline.Exit, live.Exit);
        var rows = ReportJson.NodeRows(live.Out);
        Assert.Equal(ReportJson.NodeRows(offline.Out), rows);
        Assert.Equal(["pve1", "pve2", "pve3", "pve4"], rows.Select(r => r.Split(" | ")[0]));
        var nodes = ReportJson.Nodes(live.Out);
        Assert.All(cluster.Ssh.Nodes, n =>
        {
            Assert.Equal("ssh", nodes[n.Name].GetProperty("source").GetString());
            Assert.Equal(n.Address, nodes[n.Name].GetProperty("address").GetString());
        });

        var table = GuardRun.Run("baseline", "--config", config, "--list-only");
        var tableOffline = GuardRun.Run("baseline", "--from", snapshot, "--list-only");
        Assert.Equal(tableOffline.Out, table.Out);
    }

    [Fact]
    public void A_node_whose_ring0_is_dead_is_read_over_ring1()
    {
        var config = cluster.Config(cluster.PveTree(deadRing0: ["pve3"]));

        var result = GuardRun.Run("baseline", "--config", config, "--format", "json");

        Assert.True(result.Exit is 0 or 1, result.ToString());
        var pve3 = ReportJson.Nodes(result.Out)["pve3"];
        Assert.True(pve3.GetProperty("readable").GetBoolean(), result.ToString());
        Assert.Equal(cluster.Ssh["pve3"].Address, pve3.GetProperty("address").GetString());
        var links = pve3.GetProperty("links").EnumerateArray().Select(l => l.GetString()).ToList();
        Assert.Equal(2, links.Count);
        Assert.Equal(cluster.Ssh["pve3"].Address, links[1]);
        Assert.NotEqual(links[1], links[0]);

        var tableRun = GuardRun.Run("baseline", "--config", config);
        output.WriteLine(tableRun.Out);
        var row = tableRun.OutLines.First(l => l.TrimStart(' ', '│', '|').StartsWith("pve3", StringComparison.Ordinal));
        Assert.Contains(cluster.Ssh["pve3"].Address, row, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_host_key_is_exit_3_with_one_line_naming_the_node_and_its_fingerprint()
    {
        var pve2 = cluster.Ssh["pve2"];
        var lines = File.ReadAllLines(cluster.Ssh.KnownHostsPlain)
            .Where(l => !l.StartsWith(cluster.Ssh.HostField(pve2.Address) + " ", StringComparison.Ordinal))
            .ToList();
        var knownHosts = cluster.Ssh.WriteFile($"known_hosts_without_pve2_{Guid.NewGuid():N}", lines);
        var config = cluster.Config(cluster.PveTree(), knownHosts);

        var result = GuardRun.Run("baseline", "--config", config);

        Assert.Equal(3, result.Exit);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("pve2", line, StringComparison.Ordinal);
        Assert.Contains("host key unknown", line, StringComparison.Ordinal);
        Assert.Contains(pve2.HostPublicKeys.Select(Fingerprint), fingerprint => line.Contains(fingerprint, StringComparison.Ordinal));
        Assert.DoesNotContain("pve1", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_snapshot_of_the_live_cluster_gives_the_live_verdicts()
    {
        var config = cluster.Config(cluster.PveTree());
        var folder = cluster.NewFolder("live-snapshot");

        var snapshot = GuardRun.Run("snapshot", "--config", config, "--out", folder);
        var live = GuardRun.Run("scan", "--config", config, "--format", "json");
        var offline = GuardRun.Run("scan", "--from", folder, "--format", "json");

        Assert.True(snapshot.Exit == 0, snapshot.ToString());
        Assert.True(live.Exit == 2, live.ToString());
        Assert.Equal(live.Exit, offline.Exit);
        var verdicts = ReportJson.Verdicts(live.Out);
        Assert.Equal(25, verdicts.Count);
        Assert.Equal(verdicts, ReportJson.Verdicts(offline.Out));
        Assert.Equal(ReportJson.NodeRows(live.Out), ReportJson.NodeRows(offline.Out));

        // The raw /proc/cpuinfo text of each node, byte for byte, and the VM configs as /etc/pve holds them.
        foreach (var node in cluster.Ssh.Nodes)
        {
            Assert.Equal(File.ReadAllBytes(node.Spec.CpuInfoFile), File.ReadAllBytes(Path.Combine(folder, "nodes", node.Name, "cpuinfo")));
        }

        Assert.Equal(
            File.ReadAllBytes(Path.Combine(GuardRun.Lab, "nodes", "pve3", "qemu-server", "107.conf")),
            File.ReadAllBytes(Path.Combine(folder, "nodes", "pve3", "qemu-server", "107.conf")));

        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")));
        var nodes = manifest.RootElement.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(4, nodes.Count);
        Assert.All(nodes, n =>
        {
            Assert.Equal("ssh", n.GetProperty("cpuinfoSource").GetString());
            Assert.True(n.GetProperty("ok").GetBoolean());
        });
        Assert.Empty(manifest.RootElement.GetProperty("failedNodes").EnumerateArray());
        Assert.Contains("cpuinfo over ssh", manifest.RootElement.GetProperty("sources").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public void A_node_that_cannot_be_read_is_listed_in_the_manifest_and_makes_the_snapshot_incomplete()
    {
        var pve4 = cluster.Ssh["pve4"];
        var lines = File.ReadAllLines(cluster.Ssh.KnownHostsPlain)
            .Where(l => !l.StartsWith(cluster.Ssh.HostField(pve4.Address) + " ", StringComparison.Ordinal));
        var config = cluster.Config(cluster.PveTree(), cluster.Ssh.WriteFile($"known_hosts_without_pve4_{Guid.NewGuid():N}", lines));
        var strictFolder = cluster.NewFolder("strict");
        var partialFolder = cluster.NewFolder("partial");

        var strict = GuardRun.Run("snapshot", "--config", config, "--out", strictFolder);
        var partial = GuardRun.Run("snapshot", "--config", config, "--out", partialFolder, "--allow-partial");

        Assert.Equal(3, strict.Exit);
        Assert.Contains("pve4", Assert.Single(strict.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(1, partial.Exit);
        Assert.Single(partial.ErrorLines);
        foreach (var folder in new[] { strictFolder, partialFolder })
        {
            Assert.False(File.Exists(Path.Combine(folder, "nodes", "pve4", "cpuinfo")));
            Assert.True(File.Exists(Path.Combine(folder, "nodes", "pve1", "cpuinfo")));
            using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")));
            var failed = Assert.Single(manifest.RootElement.GetProperty("failedNodes").EnumerateArray());
            Assert.Equal("pve4", failed.GetProperty("name").GetString());
            Assert.Contains("host key unknown", failed.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }

        // What the snapshot holds is judged like the live run: pve4 unreadable, the rest as read.
        var offline = GuardRun.Run("baseline", "--from", partialFolder, "--allow-partial", "--format", "json");
        Assert.False(ReportJson.Nodes(offline.Out)["pve4"].GetProperty("readable").GetBoolean());
    }

    [Fact]
    public async Task A_silent_node_and_a_closed_port_each_get_their_reason_and_the_others_still_answer()
    {
        var silent = cluster.Ssh.StartSilentServer();
        var closed = cluster.Ssh.AllocateAddress();
        var pve = cluster.PveTree();
        var corosync = Path.Combine(pve, "corosync.conf");
        var extra = $"  node {{\n    name: pve-silent\n    nodeid: 8\n    quorum_votes: 1\n    ring0_addr: {silent}\n  }}\n" +
                    $"  node {{\n    name: pve-closed\n    nodeid: 9\n    quorum_votes: 1\n    ring0_addr: {closed}\n  }}\n";
        var text = File.ReadAllText(corosync);
        File.WriteAllText(corosync, text.Insert(text.IndexOf("}\n\nquorum", StringComparison.Ordinal), extra));
        var config = cluster.Config(pve);
        var folder = cluster.NewFolder("with-dead-nodes");

        // Both runs wait out the silent node's connect timeout; they wait side by side.
        var runs = await Task.WhenAll(
            Task.Run(() => GuardRun.Run("baseline", "--config", config, "--allow-partial", "--format", "json")),
            Task.Run(() => GuardRun.Run("snapshot", "--config", config, "--allow-partial", "--out", folder)));
        var (result, snapshot) = (runs[0], runs[1]);

        Assert.True(result.Exit == 1, result.ToString());
        var nodes = ReportJson.Nodes(result.Out);
        Assert.All(cluster.Ssh.Nodes, n => Assert.True(nodes[n.Name].GetProperty("readable").GetBoolean()));
        Assert.Contains($"no SSH handshake within {ServerTimeouts.AnswerSeconds} s", nodes["pve-silent"].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("connection refused", nodes["pve-closed"].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Single(result.ErrorLines);

        Assert.Equal(1, snapshot.Exit);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")));
        Assert.Equal(["pve-closed", "pve-silent"], manifest.RootElement.GetProperty("failedNodes").EnumerateArray().Select(n => n.GetProperty("name").GetString()).Order());
        Assert.All(cluster.Ssh.Nodes, n => Assert.True(File.Exists(Path.Combine(folder, "nodes", n.Name, "cpuinfo"))));
    }

    /// <summary>OpenSSH's "SHA256:" fingerprint of a public key given as "type base64".</summary>
    private static string Fingerprint(string publicKey) =>
        "SHA256:" + Convert.ToBase64String(SHA256.HashData(Convert.FromBase64String(publicKey.Split(' ')[1]))).TrimEnd('=');
}
