using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Ha;

/// <summary>
/// The three rule sets the HA manager is known to drop (a positive rule whose resources are pinned to two nodes by
/// two strict rules, a negative rule whose resources are all pinned to one node, a node-affinity rule with two
/// priorities sharing a resource with a resource-affinity rule), served by the fake Proxmox: its rules index answers
/// them with <c>errors</c> as pve-ha-manager's API does (API2/HA/Rules.pm index), and scan, check --evacuate and the
/// placement plan through the API say what they say from the same files with <c>--from</c>.
/// </summary>
public sealed class HaRuleApiTests : IDisposable
{
    private readonly TempTree _lab = new();
    private readonly TempTree _dir = new();

    public void Dispose()
    {
        _lab.Dispose();
        _dir.Dispose();
    }

    private string Cluster(string @case)
    {
        _lab.CopyFrom(RepoPaths.HaLab);
        File.Delete(_lab.PathOf("ha", "groups.cfg"));
        _lab.CopyFile(GuardRun.Fixture("ha-rules", "resources.cfg"), "ha", "resources.cfg");
        foreach (var file in Directory.GetFiles(GuardRun.Fixture("ha-rules", @case)))
        {
            _lab.CopyFile(file, "ha", Path.GetFileName(file));
        }

        return _lab.Root;
    }

    /// <summary>Per guest: verdict, reason, notes with their text, and the allowed nodes.</summary>
    private static SortedDictionary<int, string> Verdicts(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var result = new SortedDictionary<int, string>();
        foreach (var guest in doc.RootElement.GetProperty("guests").EnumerateArray())
        {
            var notes = string.Join(" | ", guest.GetProperty("notes").EnumerateArray().Select(n => $"{n.GetProperty("code").GetString()}: {n.GetProperty("text").GetString()}"));
            var allowed = string.Join(",", guest.GetProperty("allowedNodes").EnumerateArray().Select(n => n.GetString()));
            result[guest.GetProperty("vmid").GetInt32()] = $"{guest.GetProperty("verdict").GetString()}: {guest.GetProperty("reason").GetString()} [{notes}] {allowed}";
        }

        return result;
    }

    private static SortedDictionary<int, string> Plan(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var result = new SortedDictionary<int, string>();
        foreach (var e in doc.RootElement.GetProperty("entries").EnumerateArray())
        {
            result[e.GetProperty("vmid").GetInt32()] = $"{e.GetProperty("action").GetString()}: {e.GetProperty("reason").GetString()}";
        }

        return result;
    }

    private static HttpClient Http(FakeProxmox pve)
    {
        var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"PVEAPIToken={FakeProxmox.TokenId}={pve.TokenSecret}");
        return http;
    }

    [Theory]
    [InlineData("positive-two-node-affinity", "db-with-app", "resources are in multiple node affinity rules", 201, "pve4")]
    [InlineData("positive-two-node-affinity", "db-on-pve4", "at least one resource is in a positive resource affinity rule and there are other resources in at least one other node affinity rule already", 201, "pve4")]
    [InlineData("negative-node-affinity-consistency", "db-apart", "two or more resources are restricted to less nodes than available to the resources", 211, "pve4")]
    [InlineData("negative-node-affinity-consistency", "all-on-pve4", "at least one resource is in a negative resource affinity rule and this rule would restrict these to less nodes than available to the resources", 201, "pve4")]
    [InlineData("single-priority", "skx-first", "resources are in a resource affinity rule and cannot be in a node affinity rule with multiple priorities", 202, "pve5")]
    [InlineData("single-priority", "app-apart", "resources are in node affinity rules with multiple priorities", 211, "pve4")]
    public async Task A_rule_the_HA_manager_drops_comes_with_errors_and_the_api_route_judges_as_the_files_do(string @case, string rule, string error, int vmid, string node)
    {
        var root = Cluster(@case);
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = root });
        var config = FakePveFixture.WriteConfig(pve, _dir.Root, extra: $"[fix]\nundo_dir = \"{_dir.PathOf("undo")}\"");

        string rules;
        using (var http = Http(pve))
        {
            rules = await http.GetStringAsync(new Uri($"{pve.Url}/api2/json/cluster/ha/rules"));
        }

        var live = GuardRun.Run("scan", "--config", config, "--format", "json");
        var offline = GuardRun.Run("scan", "--from", root, "--format", "json");
        var liveEvacuate = GuardRun.Run("check", "--evacuate", node, "--config", config);
        var offlineEvacuate = GuardRun.Run("check", "--evacuate", node, "--from", root);
        var livePlan = GuardRun.Run("fix", "--strategy", "placement", "--config", config, "--format", "json");
        var offlinePlan = GuardRun.Run("fix", "--strategy", "placement", "--from", root, "--format", "json");

        using (var doc = JsonDocument.Parse(rules))
        {
            var entry = doc.RootElement.GetProperty("data").EnumerateArray().Single(r => r.GetProperty("rule").GetString() == rule);
            Assert.Equal([error], entry.GetProperty("errors").GetProperty("resources").EnumerateArray().Select(m => m.GetString()));
            Assert.All(
                doc.RootElement.GetProperty("data").EnumerateArray().Where(r => r.GetProperty("rule").GetString() is "skx-only" or "prefer-skx"),
                r => Assert.False(r.TryGetProperty("errors", out _)));
        }

        Assert.True(live.Exit == 2, live.ToString());
        Assert.Equal(Verdicts(offline.Out), Verdicts(live.Out));
        Assert.Contains($"ha-rule-ignored: HA rule '{rule}' is ignored (conflicts): {error}; judged as if it were not there", Verdicts(live.Out)[vmid], StringComparison.Ordinal);
        Assert.EndsWith("] pve1,pve2,pve3,pve4,pve5", Verdicts(live.Out)[vmid], StringComparison.Ordinal);
        Assert.Equal(offline.ErrorLines, live.ErrorLines);
        Assert.Contains($"proxclmc-guard: warning: HA rule '{rule}' is ignored by the HA manager: {error}", live.ErrorLines);
        Assert.Equal(offlineEvacuate.OutLines.Where(l => l.Contains("vm:", StringComparison.Ordinal)), liveEvacuate.OutLines.Where(l => l.Contains("vm:", StringComparison.Ordinal)));
        var other = node == "pve4" ? "pve5" : "pve4";
        Assert.Contains($"  vm:{vmid}  AT RISK  HA picks the least loaded of {string.Join(", ", new[] { "pve1", "pve2", "pve3", other }.Order(StringComparer.Ordinal))}; allowed nodes that can run it: {other} (no HA rule)", liveEvacuate.OutLines);
        Assert.Equal(Plan(offlinePlan.Out), Plan(livePlan.Out));
        Assert.StartsWith("skip: ", Plan(livePlan.Out)[vmid], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Creating_a_rule_the_HA_manager_would_drop_is_refused_as_invalid()
    {
        var root = Cluster("single-priority");
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = root });
        using var http = Http(pve);

        // vm:211 is in app-apart, which meets skx-first's two priorities: a node-affinity rule for it is infeasible.
        using var refused = await http.PostAsync(new Uri($"{pve.Url}/api2/json/cluster/ha/rules"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["type"] = "node-affinity", ["rule"] = "pin-211", ["resources"] = "vm:211", ["nodes"] = "pve4,pve5", ["strict"] = "1",
        }));
        using var accepted = await http.PostAsync(new Uri($"{pve.Url}/api2/json/cluster/ha/rules"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["type"] = "node-affinity", ["rule"] = "pin-201", ["resources"] = "vm:201", ["nodes"] = "pve4,pve5", ["strict"] = "1",
        }));

        Assert.Equal(400, (int)refused.StatusCode);
        Assert.Equal("Rule 'pin-211' is invalid.", refused.ReasonPhrase);
        Assert.Equal(200, (int)accepted.StatusCode);
        Assert.DoesNotContain("pin-211", pve.Ha.FileText("rules"), StringComparison.Ordinal);
        Assert.Contains("node-affinity: pin-201\n", pve.Ha.FileText("rules"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_snapshot_through_the_api_keeps_the_dropped_rules_and_judges_them_the_same()
    {
        var root = Cluster("positive-two-node-affinity");
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = root });
        var config = FakePveFixture.WriteConfig(pve, _dir.Root);
        var folder = _dir.PathOf("snap");

        var snapshot = GuardRun.Run("snapshot", "--config", config, "--out", folder);
        var live = GuardRun.Run("scan", "--config", config, "--format", "json");
        var offline = GuardRun.Run("scan", "--from", folder, "--format", "json");

        Assert.True(snapshot.Exit == 0, snapshot.ToString());
        var rules = File.ReadAllText(Path.Combine(folder, "ha", "rules.cfg"));
        Assert.Contains("node-affinity: db-on-pve4\n", rules, StringComparison.Ordinal);
        Assert.Contains("resource-affinity: db-with-app\n", rules, StringComparison.Ordinal);
        Assert.DoesNotContain("errors", rules, StringComparison.Ordinal);
        Assert.Equal(Verdicts(live.Out), Verdicts(offline.Out));
    }

    [Fact]
    public async Task A_rule_the_API_marks_with_errors_the_guard_does_not_know_is_dropped_with_the_APIs_reason()
    {
        // A newer HA manager might check more: the API's errors decide, in its own words.
        var root = Cluster("resources-count");
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = root });
        var config = FakePveFixture.WriteConfig(pve, _dir.Root);
        pve.ServeRawNext("/cluster/ha/rules", 1, """
            {"data":[{"rule":"skx-only","type":"node-affinity","nodes":"pve4,pve5","resources":"vm:201","strict":1,"digest":"0","order":1,
            "errors":{"resources":["a check\nof a newer release"]}}]}
            """);

        var live = GuardRun.Run("scan", "--config", config, "--format", "json");

        Assert.True(live.Exit == 2, live.ToString());
        Assert.Equal(
            "exceeds-baseline: cannot run on pve1 (lacks abm, avx2, avx512bw, avx512cd, avx512dq, avx512f and 6 more); pve2 (lacks avx512bw, avx512cd, avx512dq, avx512f, avx512vl); pve3 (lacks avx512bw, avx512cd, avx512dq, avx512f, avx512vl) [ha-rule-ignored: HA rule 'skx-only' is ignored (conflicts): a check of a newer release; judged as if it were not there | ha-recovery: if pve4 fails, the HA manager may restart VM 201 on pve1, pve2, pve3, which cannot start it] pve1,pve2,pve3,pve4,pve5",
            Verdicts(live.Out)[201]);
        Assert.Contains("proxclmc-guard: warning: HA rule 'skx-only' is ignored by the HA manager: a check of a newer release", live.ErrorLines);
    }
}
