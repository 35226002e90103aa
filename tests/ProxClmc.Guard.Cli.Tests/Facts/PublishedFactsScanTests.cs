using System.Text.Json;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.Facts;

/// <summary>
/// The qemu-facts snapshot: kvmhost carries the build machine's published facts (QEMU 7.2.22 under a KVM that hides
/// pni), xeon only its cpuinfo. kvmhost is judged by QEMU, xeon by cpuinfo, and the JSON says which judged each node.
/// </summary>
public sealed class PublishedFactsScanTests
{
    private static readonly string Cluster = GuardRun.Fixture("snapshots", "qemu-facts");

    private static Dictionary<int, JsonElement> Guests(JsonDocument doc) =>
        doc.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("vmid").GetInt32(), g => g.Clone());

    private static JsonElement Fit(JsonElement guest, string node) =>
        guest.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("node").GetString() == node);

    [Fact]
    public void A_node_with_published_facts_is_judged_by_its_QEMU_a_kvm64_guest_cannot_run_there()
    {
        var result = GuardRun.Run("scan", "--from", Cluster, "--format", "json");

        Assert.Equal(2, result.Exit);
        using var doc = JsonDocument.Parse(result.Out);
        var nodes = doc.RootElement.GetProperty("cluster").GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("name").GetString()!, n => n.Clone());
        Assert.Equal("qemu", nodes["kvmhost"].GetProperty("judgedBy").GetString());
        Assert.Equal("7.2.22", nodes["kvmhost"].GetProperty("qemuVersion").GetString());
        Assert.Equal("none", nodes["kvmhost"].GetProperty("level").GetString());
        Assert.Equal("cpuinfo", nodes["xeon"].GetProperty("judgedBy").GetString());

        var guests = Guests(doc);
        var dns = guests[100];
        Assert.Equal("exceeds-baseline", dns.GetProperty("verdict").GetString());
        Assert.Equal("cannot run on kvmhost (lacks pni)", dns.GetProperty("reason").GetString());
        var onKvmhost = Fit(dns, "kvmhost");
        Assert.False(onKvmhost.GetProperty("canRun").GetBoolean());
        Assert.Equal(["pni"], onKvmhost.GetProperty("missingFlags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("qemu", onKvmhost.GetProperty("judgedBy").GetString());
        Assert.Equal("cpuinfo", Fit(dns, "xeon").GetProperty("judgedBy").GetString());
    }

    [Fact]
    public void Minus_flags_that_switch_off_what_KVM_lacks_make_a_guest_runnable_there()
    {
        using var doc = JsonDocument.Parse(GuardRun.Run("scan", "--from", Cluster, "--format", "json").Out);
        var guests = Guests(doc);

        // args: -cpu qemu64,-pni and a custom model qemu64 with flags -pni: QEMU starts both on kvmhost.
        Assert.Equal("ok", guests[102].GetProperty("verdict").GetString());
        Assert.True(Fit(guests[102], "kvmhost").GetProperty("canRun").GetBoolean());
        Assert.Equal("ok", guests[103].GetProperty("verdict").GetString());

        // EPYC: QEMU names what KVM on kvmhost cannot give, in QEMU's spelling.
        var epyc = Fit(guests[104], "kvmhost");
        Assert.False(epyc.GetProperty("canRun").GetBoolean());
        Assert.Contains("sse4.1", epyc.GetProperty("missingFlags").EnumerateArray().Select(f => f.GetString()));

        // Cascadelake-Server-v6 is unknown to kvmhost's QEMU 7.2, and unverified from xeon's cpuinfo.
        var db = guests[105];
        Assert.StartsWith("QEMU 7.2.22 on this node does not know the model Cascadelake-Server-v6", Fit(db, "kvmhost").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(["fb-clear", "psdp-no", "sbdr-ssdp-no"], Fit(db, "xeon").GetProperty("unverified").EnumerateArray().Select(f => f.GetString()));
        Assert.Contains(
            db.GetProperty("notes").EnumerateArray(),
            n => n.GetProperty("code").GetString() == "qemu-version" && n.GetProperty("text").GetString() == "the QEMU of kvmhost does not know Cascadelake-Server-v6: it cannot start there");
    }

    [Fact]
    public void The_same_snapshot_without_the_facts_file_gives_the_cpuinfo_answer()
    {
        using var tree = new TempTree().CopyFrom(Cluster);
        File.Delete(tree.PathOf("nodes", "kvmhost", "proxclmc-guard", "facts.json"));

        var result = GuardRun.Run("scan", "--from", tree.Root, "--format", "json");

        using var doc = JsonDocument.Parse(result.Out);
        var dns = Guests(doc)[100];
        Assert.Equal("ok", dns.GetProperty("verdict").GetString());
        Assert.Equal("every node can run kvm64", dns.GetProperty("reason").GetString());
        Assert.All(dns.GetProperty("nodes").EnumerateArray(), n => Assert.Equal("cpuinfo", n.GetProperty("judgedBy").GetString()));
        var kvmhost = doc.RootElement.GetProperty("cluster").GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("name").GetString() == "kvmhost");
        Assert.Equal("x86-64-v4", kvmhost.GetProperty("level").GetString());
    }

    [Fact]
    public void Auto_source_takes_fresh_published_facts_from_pve_root_and_reads_this_node_locally()
    {
        using var tree = new TempTree();
        tree.CopyFile(Path.Combine(Cluster, "corosync.conf"), "corosync.conf");
        // Published ten minutes before the run: fresh within facts.max_age_seconds (3600).
        var published = Regex.Replace(
            File.ReadAllText(Path.Combine(Cluster, "nodes", "kvmhost", "proxclmc-guard", "facts.json")),
            "\"collectedAt\": \"[^\"]*\"",
            "\"collectedAt\": \"2026-11-23T11:50:00Z\"");
        tree.Write(published, "pve", "nodes", "kvmhost", "proxclmc-guard", "facts.json");
        tree.CopyFile(Path.Combine(Cluster, "nodes", "xeon", "qemu-server", "100.conf"), "pve", "nodes", "xeon", "qemu-server", "100.conf");
        var config = tree.Write(
            $"[cluster]\ncorosync_conf = \"{tree.PathOf("corosync.conf")}\"\npve_root = \"{tree.PathOf("pve")}\"\nlocal_node = \"xeon\"\n\n" +
            $"[facts]\nlocal_cpuinfo = \"{Path.Combine(Cluster, "nodes", "xeon", "cpuinfo")}\"\ncache_file = \"{tree.PathOf("facts-cache.json")}\"\n",
            "proxclmc-guard.toml");

        var result = GuardRun.Run("scan", "--config", config, "--format", "json");

        using var doc = JsonDocument.Parse(result.Out);
        var nodes = doc.RootElement.GetProperty("cluster").GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("name").GetString()!, n => n.Clone());
        Assert.Equal("published", nodes["kvmhost"].GetProperty("source").GetString());
        Assert.Equal("qemu", nodes["kvmhost"].GetProperty("judgedBy").GetString());
        Assert.Equal("local", nodes["xeon"].GetProperty("source").GetString());
        Assert.Equal("cannot run on kvmhost (lacks pni)", Guests(doc)[100].GetProperty("reason").GetString());
    }

    [Fact]
    public void A_snapshot_carries_the_published_facts_and_judges_like_the_original()
    {
        using var tree = new TempTree();
        var copy = tree.PathOf("snap");

        var snapshot = GuardRun.Run("snapshot", "--from", Cluster, "--out", copy);

        Assert.True(snapshot.Exit == 0, snapshot.ToString());
        Assert.Equal(
            File.ReadAllText(Path.Combine(Cluster, "nodes", "kvmhost", "proxclmc-guard", "facts.json")),
            File.ReadAllText(Path.Combine(copy, "nodes", "kvmhost", "proxclmc-guard", "facts.json")));
        Assert.False(File.Exists(Path.Combine(copy, "nodes", "xeon", "proxclmc-guard", "facts.json")));
        using var doc = JsonDocument.Parse(GuardRun.Run("scan", "--from", copy, "--format", "json").Out);
        Assert.Equal("cannot run on kvmhost (lacks pni)", Guests(doc)[100].GetProperty("reason").GetString());
    }
}
