using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.Scan;

/// <summary>
/// A pinned baseline (<c>[policy] baseline</c>) works like VMware EVC. The cluster here is a Sandy Bridge-EP node
/// (x86-64-v2-AES) and a Haswell-EP node (x86-64-v3).
/// </summary>
public sealed class PinnedBaselineTests
{
    private static readonly string Cluster = GuardRun.Fixture("snapshots", "pinned");

    private static Dictionary<int, JsonElement> Guests(JsonDocument doc) =>
        doc.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("vmid").GetInt32(), g => g.Clone());

    [Fact]
    public void Unpinned_every_guest_both_nodes_run_is_ok()
    {
        var result = GuardRun.Run("scan", "--from", Cluster, "--format", "json");

        using var doc = JsonDocument.Parse(result.Out);
        var guests = Guests(doc);
        Assert.Equal("ok", guests[102].GetProperty("verdict").GetString());
        Assert.Equal("ok", guests[100].GetProperty("verdict").GetString());
        Assert.Equal("exceeds-baseline", guests[103].GetProperty("verdict").GetString());
    }

    [Fact]
    public void Pinned_to_x86_64_v2_a_v2_AES_guest_both_nodes_could_run_is_flagged()
    {
        var result = GuardRun.Run("scan", "--from", Cluster, "--config", GuardRun.Fixture("policy", "pin-x86-64-v2.toml"), "--format", "json");

        Assert.Equal(2, result.Exit);
        using var doc = JsonDocument.Parse(result.Out);
        var guests = Guests(doc);
        var nextcloud = guests[102];
        Assert.Equal("exceeds-baseline", nextcloud.GetProperty("verdict").GetString());
        Assert.Equal("exceeds pinned baseline x86-64-v2 (needs aes)", nextcloud.GetProperty("reason").GetString());
        Assert.All(nextcloud.GetProperty("nodes").EnumerateArray(), n => Assert.True(n.GetProperty("canRun").GetBoolean()));

        // kvm64 (no cpu line) and x86-64-v2 itself are at or below the pin.
        Assert.Equal("ok", guests[100].GetProperty("verdict").GetString());
        Assert.Equal("ok", guests[101].GetProperty("verdict").GetString());
        Assert.Empty(doc.RootElement.GetProperty("cluster").GetProperty("baseline").GetProperty("nodesBelowPin").EnumerateArray());
    }

    [Fact]
    public void Pinned_to_x86_64_v3_the_Sandy_Bridge_node_is_reported_non_compliant()
    {
        var config = GuardRun.Fixture("policy", "pin-x86-64-v3.toml");

        var table = GuardRun.Run("scan", "--from", Cluster, "--config", config);
        var json = GuardRun.Run("scan", "--from", Cluster, "--config", config, "--format", "json");

        Assert.Equal(2, table.Exit);
        Assert.Contains("Cluster CPU type: x86-64-v3 (pinned by policy.baseline)", table.OutLines);
        Assert.Contains("NON-COMPLIANT: pve1 cannot run the pinned baseline x86-64-v3", table.OutLines);
        Assert.Contains("pve1", Assert.Single(table.ErrorLines), StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(json.Out);
        var baseline = doc.RootElement.GetProperty("cluster").GetProperty("baseline");
        Assert.Equal(["pve1"], baseline.GetProperty("nodesBelowPin").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal("ok", Guests(doc)[102].GetProperty("verdict").GetString());
    }

    [Fact]
    public void A_pinned_model_unknown_to_Proxmox_is_a_configuration_error()
    {
        using var tree = new TempTree();
        var config = tree.Write("[policy]\nbaseline = \"x86-64-v1\"\n", "pin.toml");

        var result = GuardRun.Run("scan", "--from", Cluster, "--config", config);

        Assert.Equal(78, result.Exit);
        Assert.StartsWith($"proxclmc-guard: {config}:2:", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }
}
