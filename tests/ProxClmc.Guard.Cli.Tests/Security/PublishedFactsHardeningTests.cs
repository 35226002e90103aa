using System.Text.Json;
using System.Text.Json.Nodes;
using ProxClmc.Guard.Cli.Tests.Hosting;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Infrastructure.IO;
using Serilog;

namespace ProxClmc.Guard.Cli.Tests.Security;

/// <summary>
/// A hostile peer (any node's root) writes <c>nodes/&lt;node&gt;/proxclmc-guard/facts.json</c> for another node. The
/// local node trusts only what it reads itself or last wrote itself; a peer's QEMU answer never allows a flag its own
/// cpuinfo lacks; one freshness rule refuses documents dated in the future.
/// </summary>
public sealed class PublishedFactsHardeningTests : IDisposable
{
    private static readonly string Recorded = GuardRun.Fixture("snapshots", "qemu-facts", "nodes", "kvmhost", "proxclmc-guard", "facts.json");
    private static readonly string SandyBridge = GuardRun.CpuInfo("intel-xeon-e5-2680-sandybridge-ep.txt");

    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    /// <summary>
    /// A facts document for <paramref name="node"/> with a Sandy Bridge cpuinfo and the recorded QEMU answer made to say
    /// every model is usable (<paramref name="usable"/>) or none is.
    /// </summary>
    private string Forge(string node, bool usable, DateTimeOffset collectedAt)
    {
        var doc = JsonNode.Parse(File.ReadAllText(Recorded))!.AsObject();
        doc["node"] = node;
        doc["collectedAt"] = collectedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        doc["cpuinfo"] = File.ReadAllText(SandyBridge);
        foreach (var model in doc["qemu"]!["models"]!.AsArray())
        {
            model!["usable"] = usable;
            model["unavailableFeatures"] = usable ? new JsonArray() : new JsonArray("pni", "sse2", "lm");
        }

        if (usable)
        {
            // And KVM "gives" every feature of a Zen 4, in QEMU's spellings.
            var zen4 = File.ReadLines(GuardRun.CpuInfo("amd-epyc-9654-zen4.txt")).First(l => l.StartsWith("flags", StringComparison.Ordinal)).Split(':')[1];
            var features = doc["qemu"]!["hostFeatures"]!.AsArray();
            foreach (var flag in zen4.Split(' ', StringSplitOptions.RemoveEmptyEntries).Concat(["sse3", "sse4.1", "sse4.2", "lahf-lm"]))
            {
                features.Add(flag.Replace('_', '-'));
            }
        }

        return _tree.Write(doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", "pve", "nodes", node, "proxclmc-guard", "facts.json");
    }

    private string Config(string extra = "") => _tree.Write(
        $"[cluster]\ncorosync_conf = \"{_tree.PathOf("corosync.conf")}\"\npve_root = \"{_tree.PathOf("pve")}\"\nlocal_node = \"pve1\"\n\n" +
        $"[facts]\nlocal_cpuinfo = \"{SandyBridge}\"\ncache_file = \"{_tree.PathOf("state", "facts-cache.json")}\"\nqemu_binary = \"{_tree.PathOf("no-kvm")}\"\n{extra}",
        "proxclmc-guard.toml");

    private void TwoNodes()
    {
        _tree.Write(
            "nodelist {\n  node {\n    name: pve1\n    nodeid: 1\n    ring0_addr: 192.0.2.11\n  }\n  node {\n    name: pve2\n    nodeid: 2\n    ring0_addr: 192.0.2.12\n  }\n}\n\n" +
            "totem {\n  cluster_name: forged\n  version: 2\n}\n",
            "corosync.conf");
        Directory.CreateDirectory(_tree.PathOf("pve", "nodes", "pve1", "qemu-server"));
        Directory.CreateDirectory(_tree.PathOf("pve", "nodes", "pve2", "qemu-server"));
        Directory.CreateDirectory(_tree.PathOf("state"));
    }

    private static Dictionary<string, JsonElement> Nodes(CliResult result)
    {
        using var doc = JsonDocument.Parse(result.Out);
        return doc.RootElement.GetProperty("cluster").GetProperty("nodes").EnumerateArray()
            .ToDictionary(n => n.GetProperty("name").GetString()!, n => n.Clone());
    }

    [Fact]
    public void A_peers_document_for_the_local_node_is_ignored_and_reported_and_a_peers_own_answer_is_capped_by_its_cpuinfo()
    {
        TwoNodes();
        Forge("pve1", usable: true, GuardRun.Now.AddMinutes(-10));
        Forge("pve2", usable: true, GuardRun.Now.AddMinutes(-10));

        var result = GuardRun.Run("scan", "--config", Config(), "--format", "json");

        var nodes = Nodes(result);

        // pve1 reads its own Sandy Bridge; pve2's answer "every model is usable" cannot lift it above its own cpuinfo.
        Assert.Equal("local", nodes["pve1"].GetProperty("source").GetString());
        Assert.Equal("x86-64-v2-AES", nodes["pve1"].GetProperty("level").GetString());
        Assert.Equal("published", nodes["pve2"].GetProperty("source").GetString());
        Assert.Equal("x86-64-v2-AES", nodes["pve2"].GetProperty("level").GetString());
        Assert.Contains(
            result.ErrorLines,
            l => l.Contains("nodes/pve1/proxclmc-guard/facts.json: not the facts pve1 last published itself; ignored, pve1 is judged by its own reading", StringComparison.Ordinal));
    }

    [Fact]
    public void A_peers_document_saying_nothing_is_usable_here_cannot_make_the_hook_refuse_a_kvm64_guest()
    {
        TwoNodes();
        _tree.CopyFile(GuardRun.Fixture("hook", "kvm64-default.conf"), "pve", "nodes", "pve1", "qemu-server", "100.conf");
        Forge("pve1", usable: false, GuardRun.Now.AddMinutes(-10));
        Forge("pve2", usable: true, GuardRun.Now.AddMinutes(-10));

        var result = GuardRun.RunWith(
            new Dictionary<string, string> { ["PVE_MIGRATED_FROM"] = "pve2" },
            "hook", "100", "pre-start", "--config", Config("\n[hook]\nfail_closed = true\n"));

        Assert.True(result.Exit == 0, result.ToString());
        Assert.DoesNotContain(result.ErrorLines, l => l.Contains("refusing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_worker_replaces_its_own_nodes_document_dated_in_the_future_or_not_written_by_it()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 12, 2, 1, 0, 0, TimeSpan.Zero));
        Directory.CreateDirectory(_tree.PathOf("pve", "nodes", "pve1"));
        Directory.CreateDirectory(_tree.PathOf("state"));
        _tree.Write("6.8.12-4-pve\n", "osrelease");
        var paths = new LocalFactsPaths { CpuInfo = SandyBridge, KernelRelease = _tree.PathOf("osrelease"), MicrocodeVersion = _tree.PathOf("no-microcode") };

        // QEMU does not answer this time: before, a published answer that looked fresh was kept instead.
        var republisher = new FactsRepublisher(new NodeFactsCollector(PhysicalFileSystem.Instance, paths, probe: null, clock), PhysicalFileSystem.Instance, clock, new LoggerConfiguration().CreateLogger());
        var published = _tree.PathOf("pve", "nodes", "pve1", "proxclmc-guard", "facts.json");

        Forge("pve1", usable: true, new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.True(await republisher.RepublishIfNeededAsync(_tree.PathOf("pve"), "pve1", TimeSpan.FromHours(1), CancellationToken.None));
        Assert.Contains("\"collectedAt\": \"2026-12-02T01:00:00Z\"", File.ReadAllText(published), StringComparison.Ordinal);

        // Written by the worker, the hash of its write kept in the state folder; then a peer replaces it with a fresh-looking forgery.
        var ownWrite = PublishedFacts.OwnWritePath(_tree.PathOf("state", "facts-cache.json"));
        Assert.True(await republisher.RepublishIfNeededAsync(_tree.PathOf("pve"), "pve1", TimeSpan.FromHours(1), CancellationToken.None, ownWrite));
        Assert.False(await republisher.RepublishIfNeededAsync(_tree.PathOf("pve"), "pve1", TimeSpan.FromHours(1), CancellationToken.None, ownWrite));
        Forge("pve1", usable: true, clock.GetUtcNow());
        Assert.DoesNotContain("\"qemu\": null", File.ReadAllText(published), StringComparison.Ordinal);

        Assert.True(await republisher.RepublishIfNeededAsync(_tree.PathOf("pve"), "pve1", TimeSpan.FromHours(1), CancellationToken.None, ownWrite));
        Assert.Contains("\"qemu\": null", File.ReadAllText(published), StringComparison.Ordinal);
    }
}
