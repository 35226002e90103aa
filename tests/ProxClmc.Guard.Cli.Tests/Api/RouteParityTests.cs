using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Api;

/// <summary>
/// Same answer through every route, on every release: <c>scan --from &lt;snapshot&gt;</c> and <c>scan</c> through the
/// fake Proxmox serving that snapshot as each release give the same verdict and note codes per guest. The one allowed
/// difference is data a release does not have: a custom model before 9.1.15 is <c>unverified</c> with a reason that
/// names the missing endpoint.
/// </summary>
public sealed class RouteParityTests : IDisposable
{
    private static readonly string Root = Directory.CreateTempSubdirectory("proxclmc-parity-").FullName;
    private readonly string _dir = Directory.CreateTempSubdirectory("proxclmc-parity-run-").FullName;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var cluster in new[] { "lab", "vendor-mixed", "custom-models", "snapshots-without-parent" })
        {
            foreach (var release in PveRelease.All)
            {
                data.Add(cluster, release.Name);
            }
        }

        return data;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Scan_through_the_api_gives_the_verdicts_of_the_snapshot(string cluster, string release)
    {
        var tree = Cluster(cluster);
        await using var pve = await FakePveFixture.StartAsync(tree, PveRelease.Parse(release));

        var offline = GuardRun.Run("scan", "--from", tree, "--format", "json");
        var live = GuardRun.Run("scan", "--config", FakePveFixture.WriteConfig(pve, _dir), "--format", "json");

        var expected = Judged(offline.Out);
        var actual = Judged(live.Out);
        Assert.Equal(expected.Keys, actual.Keys);
        var lacksEndpoint = !PveRelease.Parse(release).HasClusterQemuEndpoints;
        foreach (var (vmid, want) in expected)
        {
            var got = actual[vmid];
            if (lacksEndpoint && got.Verdict == "unverified" && got.Notes.Contains("custom-model-unverified"))
            {
                Assert.Contains("GET /cluster/qemu/custom-cpu-models does not exist before Proxmox VE 9.1.15", got.Reason, StringComparison.Ordinal);
                Assert.StartsWith("custom-", want.Cpu.Split(',')[0], StringComparison.Ordinal);
                continue;
            }

            // No release's /nodes/{node}/status gives the physical address width: phys-bits=host gets a note saying so.
            var notes = got.Notes.Where(n => !(n == "phys-bits-host" && !want.Notes.Contains(n) && got.NoteTexts.Any(t => t.Contains("is unknown (facts without 'address sizes')", StringComparison.Ordinal)))).ToList();
            Assert.True(want.Verdict == got.Verdict && want.Notes.SequenceEqual(notes),
                $"{cluster} on {release}, VM {vmid}: --from says {want}, the API says {got}");
        }
    }

    private sealed record Judgement(string Verdict, IReadOnlyList<string> Notes, string Reason, string Cpu, IReadOnlyList<string> NoteTexts)
    {
        public override string ToString() => $"{Verdict} [{string.Join(",", Notes)}] ({Reason})";
    }

    private static SortedDictionary<int, Judgement> Judged(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var result = new SortedDictionary<int, Judgement>();
        foreach (var guest in doc.RootElement.GetProperty("guests").EnumerateArray())
        {
            result[guest.GetProperty("vmid").GetInt32()] = new Judgement(
                guest.GetProperty("verdict").GetString()!,
                guest.GetProperty("notes").EnumerateArray().Select(n => n.GetProperty("code").GetString()!).Order(StringComparer.Ordinal).ToList(),
                guest.GetProperty("reason").GetString()!,
                guest.GetProperty("cpu").GetString()!,
                guest.GetProperty("notes").EnumerateArray().Select(n => n.GetProperty("text").GetString()!).ToList());
        }

        return result;
    }

    private static readonly object BuildLock = new();

    /// <summary>The lab cluster, or a cluster built once from corpus files (real cpuinfo, real VM configs, real cpu-models.conf).</summary>
    private static string Cluster(string name)
    {
        if (name == "lab")
        {
            return GuardRun.Lab;
        }

        lock (BuildLock)
        {
            var dir = Path.Combine(Root, name);
            if (Directory.Exists(dir))
            {
                return dir;
            }

            var building = dir + ".new";
            switch (name)
            {
                case "vendor-mixed":
                    // Two vendors (corpus cpuinfo of a Haswell Xeon and a Zen 1 EPYC), real-world VM configs spread over both.
                    var nodes = new[] { ("intel1", "intel-xeon-e5-2680v3-haswell.txt"), ("amd1", "amd-epyc-7301-zen1.txt") };
                    WriteNodes(building, nodes);
                    var configs = Directory.GetFiles(GuardRun.Corpus("qemu-server", "real-world"), "*.conf")
                        .Where(f => !Path.GetFileName(f).Contains("FRAGMENT", StringComparison.Ordinal) && !Path.GetFileName(f).Contains("BROKEN", StringComparison.Ordinal))
                        .Order(StringComparer.Ordinal).ToList();
                    for (var i = 0; i < configs.Count; i++)
                    {
                        File.Copy(configs[i], Path.Combine(building, "nodes", nodes[i % 2].Item1, "qemu-server", $"{300 + i}.conf"));
                    }

                    break;
                case "custom-models":
                    // Proxmox's documented example models, one VM per model, plus one VM whose model is not defined.
                    WriteNodes(building, [("pve1", "intel-xeon-e5-2680v3-haswell.txt"), ("pve2", "intel-xeon-gold-6132-skylake-sp.txt")]);
                    var models = GuardRun.Corpus("qemu-server", Path.Combine("cpu-models", "pve-docs-example-cpu-models.conf"));
                    Directory.CreateDirectory(Path.Combine(building, "virtual-guest"));
                    File.Copy(models, Path.Combine(building, "virtual-guest", "cpu-models.conf"));
                    var names = File.ReadAllLines(models).Where(l => l.StartsWith("cpu-model:", StringComparison.Ordinal)).Select(l => l["cpu-model:".Length..].Trim()).Append("not-defined").ToList();
                    for (var i = 0; i < names.Count; i++)
                    {
                        File.WriteAllText(Path.Combine(building, "nodes", $"pve{i % 2 + 1}", "qemu-server", $"{400 + i}.conf"), $"name: custom{i}\ncpu: custom-{names[i]}\nmemory: 2048\n");
                    }

                    break;
                case "snapshots-without-parent":
                    // qemu-server's own snapshot test configs, with the main section's parent line removed (a rollback
                    // and a delete leave snapshots behind without it).
                    WriteNodes(building, [("pve1", "intel-xeon-e5-2680v3-haswell.txt"), ("pve2", "intel-xeon-e5-2670-sandybridge-ep.txt")]);
                    var snapshotConfigs = Directory.GetFiles(Path.Combine(GuardRun.Corpus("qemu-server", "snapshot-input"), "delete", "qemu-server"), "*.conf").Order(StringComparer.Ordinal).ToList();
                    for (var i = 0; i < snapshotConfigs.Count; i++)
                    {
                        var lines = File.ReadAllLines(snapshotConfigs[i]);
                        var firstSection = Array.FindIndex(lines, l => l.StartsWith('['));
                        var kept = lines.Where((l, index) => !(l.StartsWith("parent:", StringComparison.Ordinal) && (firstSection < 0 || index < firstSection)));
                        File.WriteAllText(Path.Combine(building, "nodes", $"pve{i % 2 + 1}", "qemu-server", Path.GetFileName(snapshotConfigs[i])), string.Join('\n', kept) + "\n");
                    }

                    break;
                default:
                    throw new ArgumentException(name);
            }

            Directory.Move(building, dir);
            return dir;
        }
    }

    private static void WriteNodes(string dir, IReadOnlyList<(string Node, string CpuInfo)> nodes)
    {
        var corosync = new System.Text.StringBuilder("nodelist {\n");
        for (var i = 0; i < nodes.Count; i++)
        {
            var (node, cpuinfo) = nodes[i];
            corosync.Append($"  node {{\n    name: {node}\n    nodeid: {i + 1}\n    quorum_votes: 1\n    ring0_addr: 10.9.0.{i + 1}\n  }}\n");
            Directory.CreateDirectory(Path.Combine(dir, "nodes", node, "qemu-server"));
            File.Copy(GuardRun.CpuInfo(cpuinfo), Path.Combine(dir, "nodes", node, "cpuinfo"));
        }

        corosync.Append("}\n\ntotem {\n  cluster_name: corpus\n  config_version: 1\n  version: 2\n}\n");
        File.WriteAllText(Path.Combine(dir, "corosync.conf"), corosync.ToString());
    }
}
