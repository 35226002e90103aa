using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Api;

/// <summary>
/// Each behaviour of the API route, against the fake Proxmox answering as the release where it matters: custom
/// models before 9.1.15, a node down (at once and dropping packets), snapshots without <c>parent:</c>, two-factor
/// users, node vendor and family, partial visibility, <c>/access/permissions</c> missing, a host that is not a node,
/// and the facts cache.
/// </summary>
public sealed class ReleaseProfileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("proxclmc-releases-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("7.4")]
    [InlineData("9.0")]
    [InlineData("9.1.14")]
    public async Task Before_9_1_15_a_custom_model_is_unverified_naming_the_missing_endpoint_and_fix_leaves_it_alone(string release)
    {
        await using var pve = await FakePveFixture.StartAsync(release: PveRelease.Parse(release));
        var config = FakePveFixture.WriteConfig(pve, _dir, extra: $"[fix]\nundo_dir = \"{_dir}/undo\"");

        var scan = GuardRun.Run("scan", "--config", config, "--format", "json", "--vmid", "109");
        var fix = GuardRun.Run("fix", "--config", config, "--vmid", "109", "--to", "x86-64-v2-AES");

        var vm = Guest(scan.Out, 109);
        Assert.Equal("unverified", vm.GetProperty("verdict").GetString());
        Assert.Contains("GET /cluster/qemu/custom-cpu-models does not exist before Proxmox VE 9.1.15", vm.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("custom-model-unverified", Notes(vm));
        Assert.Equal(1, scan.Exit);
        Assert.DoesNotContain("custom-lab-sandy ->", fix.Out, StringComparison.Ordinal);
        Assert.Equal(0, pve.CountRequests("PUT", "/qemu/109/config"));
    }

    [Fact]
    public async Task From_9_1_15_the_endpoint_gives_the_definition_and_the_verdict_of_the_file_route()
    {
        await using var pve = await FakePveFixture.StartAsync(release: PveRelease.Parse("9.1.15"));

        var scan = GuardRun.Run("scan", "--config", FakePveFixture.WriteConfig(pve, _dir), "--format", "json", "--vmid", "109");

        Assert.Equal("ok", Guest(scan.Out, 109).GetProperty("verdict").GetString());
        Assert.Equal(1, pve.CountRequests("GET", "/cluster/qemu/custom-cpu-models"));
    }

    [Fact]
    public async Task A_token_without_a_mapping_privilege_is_silently_given_no_models_and_the_guest_is_unverified_not_unknown()
    {
        await using var pve = await FakePveFixture.StartAsync(release: PveRelease.Parse("9.2"));
        foreach (var privilege in new[] { "Mapping.Audit", "Mapping.Use", "Mapping.Modify" })
        {
            pve.Revoke(privilege, "/mapping");
        }

        var scan = GuardRun.Run("scan", "--config", FakePveFixture.WriteConfig(pve, _dir), "--format", "json", "--vmid", "109");

        var vm = Guest(scan.Out, 109);
        Assert.Equal("unverified", vm.GetProperty("verdict").GetString());
        Assert.Contains("Mapping.Audit on /mapping/cpu", vm.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_a_node_the_own_cpu_models_conf_is_read_even_on_7_4()
    {
        await using var pve = await FakePveFixture.StartAsync(release: PveRelease.Parse("7.4"));
        var pveRoot = Path.Combine(_dir, "pve");
        Directory.CreateDirectory(Path.Combine(pveRoot, "nodes"));
        Directory.CreateDirectory(Path.Combine(pveRoot, "virtual-guest"));
        File.Copy(Path.Combine(GuardRun.Lab, "virtual-guest", "cpu-models.conf"), Path.Combine(pveRoot, "virtual-guest", "cpu-models.conf"));

        var scan = GuardRun.Run("scan", "--config", FakePveFixture.WriteConfig(pve, _dir, extra: $"[cluster]\npve_root = \"{pveRoot}\""), "--format", "json", "--vmid", "109");

        Assert.Equal("ok", Guest(scan.Out, 109).GetProperty("verdict").GetString());
        Assert.Equal(0, pve.CountRequests("GET", "/capabilities/qemu/cpu"));
    }

    [Fact]
    public async Task A_snapshot_through_the_api_before_9_1_15_says_which_custom_models_it_could_not_copy()
    {
        await using var pve = await FakePveFixture.StartAsync(release: PveRelease.Parse("9.0"));

        var result = GuardRun.Run("snapshot", "--config", FakePveFixture.WriteConfig(pve, _dir), "--out", Path.Combine(_dir, "snap"));

        Assert.True(result.Exit == 3, result.ToString());
        Assert.Contains("custom models lab-sandy not copied: GET /cluster/qemu/custom-cpu-models does not exist before Proxmox VE 9.1.15", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_down_lists_its_guests_as_not_read_and_answers_for_the_rest()
    {
        await using var pve = await FakePveFixture.StartAsync(release: PveRelease.Parse("8.4"), offline: [new FakeOffline("pve3")]);
        var config = FakePveFixture.WriteConfig(pve, _dir);

        var partial = GuardRun.Run("scan", "--config", config, "--format", "json", "--allow-partial");
        var strict = GuardRun.Run("scan", "--config", config, "--format", "json");
        var safeRest = GuardRun.Run(["scan", "--config", config, "--allow-partial", .. SafeGuestsAndPve3]);

        // With --allow-partial the answer for the other nodes stands: 2 for the lab's unsafe guests, 1 where the rest is safe.
        Assert.True(partial.Exit == 2, partial.ToString());
        Assert.True(safeRest.Exit == 1, safeRest.ToString());
        Assert.True(strict.Exit == 3, strict.ToString());
        Assert.Contains("pve3", Assert.Single(strict.ErrorLines), StringComparison.Ordinal);
        foreach (var result in new[] { partial, strict })
        {
            Assert.Equal(25, Guests(result.Out).Count);
            foreach (var vmid in new[] { 107, 110, 111, 116, 119, 122 })
            {
                var vm = Guest(result.Out, vmid);
                Assert.Equal(("unverified", "pve3"), (vm.GetProperty("verdict").GetString(), vm.GetProperty("node").GetString()));
                Assert.Contains("not-read", Notes(vm));
            }

            Assert.DoesNotContain(Guests(result.Out), g => g.GetProperty("verdict").GetString() == "invalid-config");
        }

        Assert.Equal(0, pve.CountRequests("GET", "/nodes/pve3/"));
    }

    [Fact]
    public async Task A_node_that_drops_packets_is_given_up_after_one_timeout()
    {
        // pveproxy waits 30 s for such a node; here it hangs for longer than the API timeout, so the client gives up first.
        await using var pve = await FakePveFixture.StartAsync(offline: [new FakeOffline("pve3", Slow: true)], slowHang: TimeSpan.FromHours(1));
        var config = FakePveFixture.WriteConfig(pve, _dir);

        // Each run waits out one API timeout on pve3; they wait side by side.
        var runs = await Task.WhenAll(
            Task.Run(() => GuardRun.Run(["scan", "--config", config, "--format", "json", "--allow-partial", .. SafeGuestsAndPve3])),
            Task.Run(() => GuardRun.Run("scan", "--config", config, "--format", "json")));
        var (partial, strict) = (runs[0], runs[1]);

        Assert.True(partial.Exit == 1, partial.ToString());
        Assert.True(strict.Exit == 3, strict.ToString());
        Assert.Contains("pve3", Assert.Single(strict.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(25, Guests(strict.Out).Count);
        Assert.All(Guests(partial.Out).Where(g => g.GetProperty("node").GetString() != "pve3"), g => Assert.DoesNotContain("not-read", Notes(g)));
        Assert.All(Guests(partial.Out).Where(g => g.GetProperty("node").GetString() == "pve3"), g => Assert.Contains("not-read", Notes(g)));

        // One request to the node per run (its status), then nothing more: each run waits for one timeout, not one per guest.
        Assert.Equal(2, pve.CountRequests("GET", "/nodes/pve3/"));
    }

    [Fact]
    public async Task Snapshots_are_listed_also_when_the_main_section_has_no_parent_line()
    {
        var tree = CopyLab();
        var file = Path.Combine(tree, "nodes", "pve4", "qemu-server", "117.conf");
        File.WriteAllLines(file, File.ReadAllLines(file).Where(l => !l.StartsWith("parent:", StringComparison.Ordinal)));
        await using var pve = await FakePveFixture.StartAsync(tree, PveRelease.Parse("9.0"));

        var live = GuardRun.Run("scan", "--config", FakePveFixture.WriteConfig(pve, _dir), "--format", "json", "--vmid", "117");
        var offline = GuardRun.Run("scan", "--from", tree, "--format", "json", "--vmid", "117");

        Assert.Contains(Notes(Guest(offline.Out, 117)), n => n.StartsWith("snapshot", StringComparison.Ordinal));
        Assert.Equal(Notes(Guest(offline.Out, 117)), Notes(Guest(live.Out, 117)));
    }

    [Fact]
    public async Task A_user_with_two_factor_authentication_is_told_to_use_an_api_token()
    {
        await using var pve = await FakePveFixture.StartAsync();
        var config = Path.Combine(_dir, "tfa.toml");
        File.WriteAllText(config, $"""
            [api]
            url = "{pve.Url}"
            username = "{FakeProxmox.TfaUsername}"
            password_file = "{pve.PasswordFile}"
            ca_file = "{pve.CaCertificatePath}"
            """);

        var result = GuardRun.Run("scan", "--config", config);

        Assert.True(result.Exit == 3, result.ToString());
        Assert.Contains("this user needs two-factor authentication: use an API token", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("9.0", false)]
    [InlineData("9.1.14", true)]
    public async Task Node_vendor_and_family_come_from_the_node_status_where_it_has_them(string release, bool hasFamily)
    {
        await using var pve = await FakePveFixture.StartAsync(release: PveRelease.Parse(release));

        var result = GuardRun.Run("baseline", "--config", FakePveFixture.WriteConfig(pve, _dir), "--format", "json");

        using var doc = JsonDocument.Parse(result.Out);
        var node = doc.RootElement.GetProperty("cluster").GetProperty("nodes").EnumerateArray().First();
        Assert.Equal("GenuineIntel", node.GetProperty("vendor").GetString());
        Assert.Equal(hasFamily ? JsonValueKind.Number : JsonValueKind.Null, node.GetProperty("family").ValueKind);
    }

    [Fact]
    public async Task A_token_that_sees_only_some_guests_is_warned_with_the_count()
    {
        await using var pve = await FakePveFixture.StartAsync();
        pve.Revoke("VM.Audit", "/");
        pve.Grant("VM.Audit", "/vms/100");
        pve.Grant("VM.Audit", "/vms/101");

        var result = GuardRun.Run("scan", "--config", FakePveFixture.WriteConfig(pve, _dir), "--format", "json");

        Assert.Equal(2, Guests(result.Out).Count);
        Assert.Contains(result.ErrorLines, l => l.Contains("not on /vms or /: the scan covers only the 2 guests it can see", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_access_permissions_the_scan_goes_on()
    {
        await using var pve = await FakePveFixture.StartAsync();
        pve.FailNext("access/permissions", 1, 501, "Method 'GET /access/permissions' not implemented");

        var result = GuardRun.Run("scan", "--config", FakePveFixture.WriteConfig(pve, _dir), "--format", "json");

        Assert.True(result.Exit == 2, result.ToString());
        Assert.Equal(25, Guests(result.Out).Count);
    }

    [Fact]
    public void A_host_that_is_not_a_node_claims_no_pve_root_it_does_not_have()
    {
        var empty = Path.Combine(_dir, "no-pve");
        Directory.CreateDirectory(empty);
        var config = Path.Combine(_dir, "local.toml");
        File.WriteAllText(config, $"""
            [cluster]
            pve_root = "{empty}"
            corosync_conf = "{empty}/corosync.conf"

            [facts]
            source = "local"
            local_cpuinfo = "{GuardRun.CpuInfo("intel-xeon-e5-2680v3-haswell.txt")}"
            """);

        var result = GuardRun.Run("scan", "--config", config);

        Assert.True(result.Exit == 3, result.ToString());
        Assert.Contains("is not a Proxmox VE node", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.DoesNotContain($"{empty} on", result.Out + result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Max_age_zero_never_uses_the_cache_even_with_allow_partial()
    {
        await using var pve = await FakePveFixture.StartAsync();
        var pveRoot = NodeTree(1);
        var config = FakePveFixture.WriteConfig(pve, _dir, factsExtra: "max_age_seconds = 0", extra: $"[cluster]\npve_root = \"{pveRoot}\"");
        var first = GuardRun.Run("baseline", "--config", config);
        Assert.True(first.Exit == 0, first.ToString());
        pve.SetNodeOffline("pve3");

        var result = GuardRun.Run("baseline", "--config", config, "--format", "json", "--allow-partial");

        Assert.True(result.Exit == 1, result.ToString());
        Assert.Contains("pve3", UnreadableNodes(result.Out));
    }

    [Fact]
    public async Task Cached_facts_stand_in_only_for_the_same_machine()
    {
        await using var pve = await FakePveFixture.StartAsync();
        var pveRoot = NodeTree(1);
        var config = FakePveFixture.WriteConfig(pve, _dir, extra: $"[cluster]\npve_root = \"{pveRoot}\"");
        var first = GuardRun.Run("baseline", "--config", config);
        Assert.True(first.Exit == 0, first.ToString());
        pve.SetNodeOffline("pve3");

        var sameMachine = GuardRun.Run("baseline", "--config", config, "--format", "json", "--allow-partial");
        // pve3 reinstalled on new hardware under its old name: a new host key in Proxmox's per-node known_hosts.
        File.WriteAllText(Path.Combine(pveRoot, "nodes", "pve3", "ssh_known_hosts"), $"pve3 {HostKey(2)}\n");
        var reinstalled = GuardRun.Run("baseline", "--config", config, "--format", "json", "--allow-partial");

        Assert.DoesNotContain("pve3", UnreadableNodes(sameMachine.Out));
        Assert.Contains("pve3", UnreadableNodes(reinstalled.Out));
    }

    /// <summary>The lab's guests that are safe on pve1 and pve2, and every guest of pve3.</summary>
    private static readonly string[] SafeGuestsAndPve3 =
        ["--vmid", "100", "--vmid", "101", "--vmid", "109", "--vmid", "113", "--vmid", "107", "--vmid", "110", "--vmid", "111", "--vmid", "116", "--vmid", "119", "--vmid", "122"];

    /// <summary>A pve_root as on a node: the lab's cpu-models.conf and pve3's host key in its ssh_known_hosts.</summary>
    private string NodeTree(byte keySeed)
    {
        var pveRoot = Path.Combine(_dir, "pve");
        Directory.CreateDirectory(Path.Combine(pveRoot, "virtual-guest"));
        File.Copy(Path.Combine(GuardRun.Lab, "virtual-guest", "cpu-models.conf"), Path.Combine(pveRoot, "virtual-guest", "cpu-models.conf"), overwrite: true);
        var knownHosts = Path.Combine(pveRoot, "nodes", "pve3", "ssh_known_hosts");
        Directory.CreateDirectory(Path.GetDirectoryName(knownHosts)!);
        File.WriteAllText(knownHosts, $"pve3 {HostKey(keySeed)}\n");
        return pveRoot;
    }

    /// <summary>An ssh-ed25519 public key line body: the wire-format blob (type, 32 key bytes) in base64.</summary>
    private static string HostKey(byte seed)
    {
        var type = "ssh-ed25519"u8.ToArray();
        var blob = new List<byte> { 0, 0, 0, (byte)type.Length };
        blob.AddRange(type);
        blob.AddRange(new byte[] { 0, 0, 0, 32 });
        blob.AddRange(Enumerable.Repeat(seed, 32));
        return "ssh-ed25519 " + Convert.ToBase64String(blob.ToArray());
    }

    private string CopyLab()
    {
        var target = Path.Combine(_dir, "lab");
        foreach (var file in Directory.GetFiles(GuardRun.Lab, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(GuardRun.Lab, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }

        return target;
    }

    internal static List<JsonElement> Guests(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("guests").EnumerateArray().Select(g => g.Clone()).ToList();
    }

    internal static JsonElement Guest(string json, int vmid) => Guests(json).Single(g => g.GetProperty("vmid").GetInt32() == vmid);

    internal static List<string> Notes(JsonElement guest) =>
        guest.GetProperty("notes").EnumerateArray().Select(n => n.GetProperty("code").GetString()!).Order(StringComparer.Ordinal).ToList();

    private static List<string> UnreadableNodes(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("cluster").GetProperty("baseline").GetProperty("unreadableNodes").EnumerateArray().Select(n => n.GetString()!).ToList();
    }
}
