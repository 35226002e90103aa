using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Facts;

/// <summary>
/// The qemu-facts snapshot served by the fake Proxmox over HTTPS. kvmhost's pvestatd reported the <c>host</c> expansion
/// the build machine's QEMU 7.2.22 gave under its KVM (the node's published facts), in which pni is missing though
/// cpuinfo shows it; xeon reported nothing. Through the API, without the published facts, scan judges kvmhost from
/// cpuinfo sharpened by Proxmox's KVM flag list (9.1.15+): a kvm64 guest cannot run there, lacking pni. A release
/// without the list gives today's cpuinfo answer, the same as <c>scan --from</c> a copy without the facts file.
/// </summary>
public sealed class ApiKvmFlagsScanTests : IDisposable
{
    private static readonly string Cluster = GuardRun.Fixture("snapshots", "qemu-facts");
    private readonly string _dir = Directory.CreateTempSubdirectory("proxclmc-kvmflags-scan-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<int, JsonElement> Guests(JsonDocument doc) =>
        doc.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("vmid").GetInt32(), g => g.Clone());

    private static Dictionary<string, JsonElement> Nodes(JsonDocument doc) =>
        doc.RootElement.GetProperty("cluster").GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("name").GetString()!, n => n.Clone());

    private static JsonElement Fit(JsonElement guest, string node) =>
        guest.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("node").GetString() == node);

    /// <summary>Each guest's verdict, reason and, per node, whether it can run and what it lacks.</summary>
    private static List<string> Answers(JsonDocument doc) =>
        Guests(doc).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Value.GetProperty("verdict").GetString()} {g.Value.GetProperty("reason").GetString()} " +
            string.Join(" ", g.Value.GetProperty("nodes").EnumerateArray().Select(n =>
                $"{n.GetProperty("node").GetString()}:{n.GetProperty("canRun").GetBoolean()}:{string.Join(',', n.GetProperty("missingFlags").EnumerateArray().Select(f => f.GetString()))}")))
            .ToList();

    private CliResult ScanThroughApi(FakeProxmox pve, params string[] extra) =>
        GuardRun.Run(["scan", "--config", FakePveFixture.WriteConfig(pve, _dir), "--format", "json", .. extra]);

    private CliResult ScanWithoutFactsFile()
    {
        var copy = Path.Combine(_dir, "snap");
        foreach (var file in Directory.GetFiles(Cluster, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("facts.json", StringComparison.Ordinal)))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(Cluster, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return GuardRun.Run("scan", "--from", copy, "--format", "json");
    }

    [Fact]
    public async Task A_flag_cpuinfo_shows_but_KVM_does_not_give_makes_a_kvm64_guest_unrunnable()
    {
        await using var pve = await FakePveFixture.StartAsync(Cluster, PveRelease.Latest);

        var result = ScanThroughApi(pve, "-v");

        Assert.True(result.Exit == 2, result.ToString());
        using var doc = JsonDocument.Parse(result.Out);
        var nodes = Nodes(doc);
        Assert.Equal("cpuinfo+kvm-flags", nodes["kvmhost"].GetProperty("judgedBy").GetString());
        Assert.Equal("api", nodes["kvmhost"].GetProperty("source").GetString());
        Assert.Equal("none", nodes["kvmhost"].GetProperty("level").GetString());
        Assert.Equal("cpuinfo", nodes["xeon"].GetProperty("judgedBy").GetString());

        var dns = Guests(doc)[100];
        Assert.Equal("exceeds-baseline", dns.GetProperty("verdict").GetString());
        Assert.Equal("cannot run on kvmhost (lacks pni)", dns.GetProperty("reason").GetString());
        var onKvmhost = Fit(dns, "kvmhost");
        Assert.False(onKvmhost.GetProperty("canRun").GetBoolean());
        Assert.Equal(["pni"], onKvmhost.GetProperty("missingFlags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("cpuinfo+kvm-flags", onKvmhost.GetProperty("judgedBy").GetString());
        Assert.Equal("cpuinfo", Fit(dns, "xeon").GetProperty("judgedBy").GetString());
        Assert.Contains(
            "KVM flags from api:/cluster/qemu/cpu-flags?accel=kvm sharpen the cpuinfo judgement of kvmhost; Proxmox lists no KVM flags for xeon (pvestatd has not reported them)",
            result.Error,
            StringComparison.Ordinal);

        // The table says which nodes the flags sharpened.
        var table = GuardRun.Run("scan", "--config", FakePveFixture.WriteConfig(pve, _dir));
        Assert.Contains(table.OutLines, l => l.Contains("kvmhost", StringComparison.Ordinal) && l.Contains("api, KVM flags", StringComparison.Ordinal));
    }

    [Fact]
    public async Task On_kvmhost_the_KVM_flags_give_the_answer_QEMU_itself_gives()
    {
        await using var pve = await FakePveFixture.StartAsync(Cluster, PveRelease.Latest);

        using var live = JsonDocument.Parse(ScanThroughApi(pve).Out);
        using var byQemu = JsonDocument.Parse(GuardRun.Run("scan", "--from", Cluster, "--format", "json").Out);

        // Same guests refused on kvmhost, lacking the same features (QEMU spells them sse4.1, cpuinfo sse4_1). 105 is
        // the exception: QEMU 7.2 does not know Cascadelake-Server-v6 at all, which only QEMU's own answer can say.
        static List<string> OnKvmhost(JsonDocument doc) => Guests(doc).Where(g => g.Key != 105).OrderBy(g => g.Key)
            .Select(g => Fit(g.Value, "kvmhost"))
            .Select(n => $"{n.GetProperty("canRun").GetBoolean()} {string.Join(',', n.GetProperty("missingFlags").EnumerateArray().Select(f => f.GetString()!.Replace('_', '-').Replace('.', '-')).Order(StringComparer.Ordinal))}")
            .ToList();
        Assert.Equal(OnKvmhost(byQemu), OnKvmhost(live));
        Assert.Contains("False abm,adx,aes,avx,avx2,bmi1,bmi2,f16c,fma,fsgsbase,movbe,pclmulqdq,pdpe1gb,pni,popcnt,rdrand,rdseed,rdtscp,sha-ni,smap,smep,sse4-1,sse4-2,sse4a,ssse3,xgetbv1,xsave,xsavec,xsaveopt", OnKvmhost(live));
    }

    [Fact]
    public async Task Auto_source_keeps_published_QEMU_answers_and_sharpens_only_the_nodes_without_one()
    {
        // xeon's pvestatd reported its cpuinfo flags minus aes (KVM masks it); kvmhost published fresh facts; this host
        // is xeon, without a usable QEMU.
        using var tree = new TempTree().CopyFrom(Cluster);
        File.WriteAllText(tree.PathOf("fake-pve.state"), "node xeon kvm-flags cpuinfo -aes\n");
        var published = System.Text.RegularExpressions.Regex.Replace(
            File.ReadAllText(Path.Combine(Cluster, "nodes", "kvmhost", "proxclmc-guard", "facts.json")),
            "\"collectedAt\": \"[^\"]*\"",
            "\"collectedAt\": \"2026-11-23T11:50:00Z\"");
        tree.Write(published, "pve", "nodes", "kvmhost", "proxclmc-guard", "facts.json");
        await using var pve = await FakePveFixture.StartAsync(tree.Root, PveRelease.Latest);
        var config = tree.Write($"""
            [cluster]
            pve_root = "{tree.PathOf("pve")}"
            local_node = "xeon"

            [api]
            url = "{pve.Url}"
            token_id = "{FakeProxmox.TokenId}"
            token_secret_file = "{pve.TokenFile}"
            ca_file = "{pve.CaCertificatePath}"
            timeout_seconds = {ServerTimeouts.AnswerSeconds}

            [facts]
            source = "auto"
            local_cpuinfo = "{Path.Combine(Cluster, "nodes", "xeon", "cpuinfo")}"
            qemu_binary = "{tree.PathOf("no-such-qemu")}"
            cache_file = "{tree.PathOf("facts-cache.json")}"
            """, "guard.toml");

        var result = GuardRun.Run("scan", "--config", config, "--format", "json");

        using var doc = JsonDocument.Parse(result.Out);
        var nodes = Nodes(doc);
        Assert.Equal(("published", "qemu"), (nodes["kvmhost"].GetProperty("source").GetString(), nodes["kvmhost"].GetProperty("judgedBy").GetString()));
        Assert.Equal(("local", "cpuinfo+kvm-flags"), (nodes["xeon"].GetProperty("source").GetString(), nodes["xeon"].GetProperty("judgedBy").GetString()));
        var web = Fit(Guests(doc)[101], "xeon");
        Assert.False(web.GetProperty("canRun").GetBoolean());
        Assert.Equal(["aes"], web.GetProperty("missingFlags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("cpuinfo+kvm-flags", web.GetProperty("judgedBy").GetString());
        Assert.Equal("qemu", Fit(Guests(doc)[101], "kvmhost").GetProperty("judgedBy").GetString());
    }

    [Theory]
    [InlineData("9.1.14")]
    [InlineData("9.0")]
    public async Task A_release_without_the_KVM_flag_list_gives_the_cpuinfo_answer_unchanged(string release)
    {
        await using var pve = await FakePveFixture.StartAsync(Cluster, PveRelease.Parse(release));

        var live = ScanThroughApi(pve, "-v");
        var offline = ScanWithoutFactsFile();

        using var liveDoc = JsonDocument.Parse(live.Out);
        using var offlineDoc = JsonDocument.Parse(offline.Out);
        // 103 uses a custom model: before 9.1.15 the API cannot list cpu-models.conf to a host that is not a node,
        // so it is "unverified" through the API of those releases, with or without this list.
        Assert.Equal(Answers(offlineDoc).Where(a => !a.StartsWith("103 ", StringComparison.Ordinal)), Answers(liveDoc).Where(a => !a.StartsWith("103 ", StringComparison.Ordinal)));
        Assert.StartsWith("103 unverified custom model 'nopni' exists but", Answers(liveDoc).Single(a => a.StartsWith("103 ", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal("ok", Guests(liveDoc)[100].GetProperty("verdict").GetString());
        Assert.Equal("x86-64-v4", Nodes(liveDoc)["kvmhost"].GetProperty("level").GetString());
        Assert.All(Nodes(liveDoc).Values, n => Assert.Equal("cpuinfo", n.GetProperty("judgedBy").GetString()));
        Assert.Contains("KVM flags not used, nodes judged from cpuinfo alone: this Proxmox VE has no /cluster/qemu/cpu-flags (added in 9.1.15)", live.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"data\": [{\"name\": \"pni\", \"supported-on\": \"")]
    [InlineData("{\"data\": \"pni\"}")]
    [InlineData("<html>502 Bad Gateway</html>")]
    public async Task A_malformed_list_gives_the_cpuinfo_answer_unchanged(string body)
    {
        await using var pve = await FakePveFixture.StartAsync(Cluster, PveRelease.Latest);
        pve.ServeRawNext("cluster/qemu/cpu-flags", 3, body);

        var live = ScanThroughApi(pve);
        var offline = ScanWithoutFactsFile();

        using var liveDoc = JsonDocument.Parse(live.Out);
        using var offlineDoc = JsonDocument.Parse(offline.Out);
        Assert.Equal(offline.Exit, live.Exit);
        Assert.Equal(Answers(offlineDoc), Answers(liveDoc));
        Assert.DoesNotContain("Exception", live.Error, StringComparison.Ordinal);
    }

    // Runs argv[2:] with stdout and stderr to argv[1].out / .err and prints "<ru_maxrss KiB> <exit>": the peak RSS
    // of that child alone, the kernel's high-water mark that /proc/<pid>/status shows as VmHWM while it runs.
    private const string PeakRunner = """
        import os, sys
        base, cmd = sys.argv[1], sys.argv[2:]
        out, err = os.open(base + ".out", os.O_WRONLY | os.O_CREAT, 0o600), os.open(base + ".err", os.O_WRONLY | os.O_CREAT, 0o600)
        pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2)])
        _, status, ru = os.wait4(pid, 0)
        print(ru.ru_maxrss, os.waitstatus_to_exitcode(status))
        """;

    /// <summary>The real CLI in a process of its own: what it printed, its exit code and its peak memory in KiB.</summary>
    private (CliResult Result, long PeakKiB) ScanInProcessOfItsOwn(FakeProxmox pve, string name)
    {
        var config = FakePveFixture.WriteConfig(pve, _dir);
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "-c", PeakRunner, Path.Combine(_dir, name), "dotnet", "exec", Path.Combine(AppContext.BaseDirectory, "proxclmc-guard.dll"), "scan", "--config", config, "--format", "json", "-v" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var figures = process.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.TrimEntries);
        process.WaitForExit();
        var result = new CliResult(int.Parse(figures[1], CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(_dir, name + ".out")), File.ReadAllText(Path.Combine(_dir, name + ".err")));
        return (result, long.Parse(figures[0], CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_64_MiB_answer_from_a_hostile_API_is_refused_in_one_line_and_costs_no_memory()
    {
        const int Size = 64 * 1024 * 1024 - 4096;
        await using var honest = await FakePveFixture.StartAsync(Cluster, PveRelease.Latest);
        await using var hostile = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = Cluster, CpuFlagsAnswerBytes = Size });

        var (control, controlPeak) = ScanInProcessOfItsOwn(honest, "honest");
        var (attacked, attackedPeak) = ScanInProcessOfItsOwn(hostile, "hostile");
        var offline = ScanWithoutFactsFile();

        // The endpoint fails as any broken facts source does: the nodes are judged from cpuinfo, the exit code is
        // that of the cpuinfo answer, and -v says why in one line naming the endpoint and its limit.
        Assert.True(control.Exit is 1 or 2, control.ToString());
        using var attackedDoc = JsonDocument.Parse(attacked.Out);
        using var offlineDoc = JsonDocument.Parse(offline.Out);
        Assert.Equal(offline.Exit, attacked.Exit);
        Assert.Equal(Answers(offlineDoc), Answers(attackedDoc));
        var line = Assert.Single(attacked.ErrorLines, l => l.Contains("/cluster/qemu/cpu-flags", StringComparison.Ordinal));
        Assert.Matches($@"^proxclmc-guard: debug: KVM flags not used, nodes judged from cpuinfo alone: API GET /cluster/qemu/cpu-flags on {new Uri(hostile.Url).Authority}: answer of 6710\d{{4}} bytes, over the limit of 4194304 bytes; refused \(this endpoint's own limit\)$", line);
        Assert.DoesNotContain("Exception", attacked.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", attacked.Error, StringComparison.Ordinal);

        // Memory: the answer is 64 MiB (read whole into a document, it once took 1.55 GB); the process that was sent
        // it peaks within 16 MiB of the one that got Proxmox's own 30 KB answer.
        Assert.True(attackedPeak < controlPeak + 16 * 1024, $"peak RSS {attackedPeak} KiB with the 64 MiB answer, {controlPeak} KiB with the real one");
    }
}
