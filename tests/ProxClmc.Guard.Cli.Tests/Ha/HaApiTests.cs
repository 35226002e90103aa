using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Ha;

/// <summary>
/// Given the fake Proxmox serving the ha-lab over real HTTPS (HA resources, rules and groups from its ha/ folder,
/// with digests, as each release answers them), the API route gives the verdicts of <c>--from</c>, and a snapshot
/// through the API carries the HA files.
/// </summary>
public sealed class HaApiTests : IDisposable
{
    private readonly TempTree _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Config(FakeProxmox pve) => _dir.Write(
        $"""
        [api]
        url = "{pve.Url}"
        token_id = "{FakeProxmox.TokenId}"
        token_secret_file = "{pve.TokenFile}"
        ca_file = "{pve.CaCertificatePath}"

        [facts]
        source = "api"
        cache_file = "{_dir.PathOf($"cache-{Guid.NewGuid():N}.json")}"
        """,
        $"guard-{Guid.NewGuid():N}.toml");

    /// <summary>Per guest: verdict, reason, notes with their text, and the allowed nodes.</summary>
    private static SortedDictionary<int, string> Verdicts(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var result = new SortedDictionary<int, string>();
        foreach (var guest in doc.RootElement.GetProperty("guests").EnumerateArray())
        {
            var notes = string.Join(" | ", guest.GetProperty("notes").EnumerateArray().Select(n => $"{n.GetProperty("code").GetString()}: {n.GetProperty("text").GetString()}"));
            var allowed = guest.TryGetProperty("allowedNodes", out var a) ? string.Join(",", a.EnumerateArray().Select(n => n.GetString())) : "-";
            result[guest.GetProperty("vmid").GetInt32()] = $"{guest.GetProperty("verdict").GetString()}: {guest.GetProperty("reason").GetString()} [{notes}] {allowed}";
        }

        return result;
    }

    [Theory]
    [InlineData("9.2", true)]
    [InlineData("9.0", true)]
    [InlineData("8.4", false)]
    [InlineData("7.4", false)]
    public async Task Scan_through_the_api_gives_the_HA_verdicts_of_the_snapshot(string version, bool hasRules)
    {
        // A PVE 8 cluster has groups but no rules.cfg.
        using var copy = new TempTree().CopyFrom(RepoPaths.HaLab);
        if (!hasRules)
        {
            File.Delete(copy.PathOf("ha", "rules.cfg"));
        }

        var lab = copy.Root;

        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = lab, Release = PveRelease.Parse(version) });

        var live = GuardRun.Run("scan", "--config", Config(pve), "--format", "json");
        var offline = GuardRun.Run("scan", "--from", lab, "--format", "json");

        Assert.True(live.Exit == 2, live.ToString());
        Assert.Equal(Verdicts(offline.Out), Verdicts(live.Out));
        Assert.Equal(offline.ErrorLines, live.ErrorLines);
        // PVE 8 answers 501 for /cluster/ha/rules; the groups are read instead.
        var requests = pve.Requests.Where(r => r.Status == 200).Select(r => r.Path).ToList();
        Assert.Contains("/cluster/ha/resources", requests);
        Assert.Equal(hasRules, requests.Contains("/cluster/ha/rules"));
        Assert.Equal(!hasRules, requests.Contains("/cluster/ha/groups"));
        if (hasRules)
        {
            Assert.StartsWith("ok: every node of strict HA rule 'skx-only' (pve4, pve5)", Verdicts(live.Out)[201], StringComparison.Ordinal);
        }

        Assert.StartsWith("ok: every node of restricted HA group 'v3-nodes' (pve2, pve3)", Verdicts(live.Out)[203], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_evacuate_through_the_api_answers_like_the_snapshot()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = RepoPaths.HaLab });

        var live = GuardRun.Run("check", "--evacuate", "pve4", "--config", Config(pve));
        var offline = GuardRun.Run("check", "--evacuate", "pve4", "--from", RepoPaths.HaLab);

        Assert.Equal(2, live.Exit);
        Assert.Equal(offline.OutLines.Where(l => l.Contains("vm:", StringComparison.Ordinal)), live.OutLines.Where(l => l.Contains("vm:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_snapshot_through_the_api_writes_the_HA_files_and_judges_the_same()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = RepoPaths.HaLab });
        var config = Config(pve);
        var folder = _dir.PathOf("snap");

        var snapshot = GuardRun.Run("snapshot", "--config", config, "--out", folder);
        var live = GuardRun.Run("scan", "--config", config, "--format", "json");
        var offline = GuardRun.Run("scan", "--from", folder, "--format", "json");

        Assert.True(snapshot.Exit == 0, snapshot.ToString());
        Assert.True(File.Exists(Path.Combine(folder, "ha", "resources.cfg")));
        Assert.True(File.Exists(Path.Combine(folder, "ha", "rules.cfg")));
        Assert.False(File.Exists(Path.Combine(folder, "ha", "groups.cfg"))); // PVE 9 lists groups as rules ha-group-<name>
        Assert.Contains("node-affinity: ha-group-v3-nodes\n", File.ReadAllText(Path.Combine(folder, "ha", "rules.cfg")), StringComparison.Ordinal);
        Assert.Equal(Verdicts(live.Out), Verdicts(offline.Out));
    }

    [Fact]
    public void A_snapshot_of_a_snapshot_copies_the_HA_files_unchanged()
    {
        var folder = _dir.PathOf("copy");

        var result = GuardRun.Run("snapshot", "--from", RepoPaths.HaLab, "--out", folder);

        Assert.True(result.Exit == 0, result.ToString());
        foreach (var file in new[] { "resources.cfg", "groups.cfg", "rules.cfg" })
        {
            Assert.Equal(File.ReadAllText(Path.Combine(RepoPaths.HaLab, "ha", file)), File.ReadAllText(Path.Combine(folder, "ha", file)));
        }
    }
}
