using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Api;

/// <summary>
/// Given the fake Proxmox serving the lab cluster over real HTTPS, <c>scan</c> and <c>baseline</c> through the API
/// give exactly the answers of <c>--from</c> on the same folder.
/// </summary>
public sealed class ApiEndToEndTests : FakePveTest
{

    [Fact]
    public void Scan_through_the_api_gives_the_verdicts_of_the_snapshot()
    {
        var config = WriteConfigText($"""
            [api]
            url = "{Pve.Url}"
            token_id = "{FakeProxmox.TokenId}"
            token_secret_file = "{Pve.TokenFile}"
            ca_file = "{Pve.CaCertificatePath}"
            timeout_seconds = {ServerTimeouts.AnswerSeconds}

            [facts]
            source = "api"
            cache_file = "{Dir}/facts-cache.json"
            """);

        var live = GuardRun.Run("scan", "--config", config, "--format", "json");
        var offline = GuardRun.Run("scan", "--from", GuardRun.Lab, "--format", "json");

        Assert.True(live.Exit == 2, live.ToString());
        Assert.Equal(offline.Exit, live.Exit);
        Assert.Equal(Verdicts(offline.Out), Verdicts(live.Out));
        Assert.Equal(Baseline(offline.Out), Baseline(live.Out));
        Assert.Equal(25, Verdicts(live.Out).Count);
    }

    [Fact]
    public void Baseline_through_the_api_with_ticket_auth_names_the_cluster_cpu_type()
    {
        var config = WriteConfigText($"""
            [api]
            url = "{Pve.Url}"
            username = "{FakeProxmox.Username}"
            password_file = "{Pve.PasswordFile}"
            ca_file = "{Pve.CaCertificatePath}"
            timeout_seconds = {ServerTimeouts.AnswerSeconds}

            [facts]
            cache_file = "{Dir}/facts-cache.json"
            """);

        var result = GuardRun.Run("baseline", "--config", config, "--list-only");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal("x86-64-v2-AES\n", result.Out);
    }

    [Fact]
    public void An_offline_node_makes_the_baseline_unknown_and_names_it()
    {
        Pve.SetNodeOffline("pve3");
        var config = WriteConfigText($"""
            [api]
            url = "{Pve.Url}"
            token_id = "{FakeProxmox.TokenId}"
            token_secret_file = "{Pve.TokenFile}"
            ca_file = "{Pve.CaCertificatePath}"
            timeout_seconds = {ServerTimeouts.AnswerSeconds}

            [facts]
            cache_file = "{Dir}/facts-cache.json"
            """);

        var strict = GuardRun.Run("baseline", "--config", config);
        var partial = GuardRun.Run("baseline", "--config", config, "--allow-partial", "--list-only");

        Assert.Equal(3, strict.Exit);
        Assert.Single(strict.ErrorLines);
        Assert.Contains("pve3", strict.ErrorLines[0], StringComparison.Ordinal);
        Assert.Equal(1, partial.Exit);
        Assert.Equal("x86-64-v2-AES\n", partial.Out);
    }

    [Fact]
    public void A_secret_file_readable_by_others_is_a_configuration_error()
    {
        var secret = Path.Combine(Dir, "token");
        File.WriteAllText(secret, File.ReadAllText(Pve.TokenFile));
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var config = WriteConfigText($"""
            [api]
            url = "{Pve.Url}"
            token_id = "{FakeProxmox.TokenId}"
            token_secret_file = "{secret}"
            ca_file = "{Pve.CaCertificatePath}"
            timeout_seconds = {ServerTimeouts.AnswerSeconds}
            """);

        var result = GuardRun.Run("scan", "--config", config);

        Assert.Equal(78, result.Exit);
        Assert.Single(result.ErrorLines);
        Assert.Contains("0644", result.Error, StringComparison.Ordinal);
    }

    private string WriteConfigText(string text)
    {
        var path = Path.Combine(Dir, $"guard-{Guid.NewGuid():N}.toml");
        File.WriteAllText(path, text);
        return path;
    }

    private static SortedDictionary<int, string> Verdicts(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var result = new SortedDictionary<int, string>();
        foreach (var guest in doc.RootElement.GetProperty("guests").EnumerateArray())
        {
            var notes = string.Join(",", guest.GetProperty("notes").EnumerateArray().Select(n => n.GetProperty("code").GetString()).Order(StringComparer.Ordinal));
            result[guest.GetProperty("vmid").GetInt32()] = $"{guest.GetProperty("verdict").GetString()} [{notes}] {guest.GetProperty("cpu").GetString()}";
        }

        return result;
    }

    /// <summary>The baseline fields both sources know; the API's node status shows no address sizes, so no phys bits.</summary>
    private static string Baseline(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var baseline = doc.RootElement.GetProperty("cluster").GetProperty("baseline");
        return string.Join(
            " ",
            new[] { "cpuType", "level", "namedModel", "vendor", "vendorMix", "partial" }.Select(k => $"{k}={baseline.GetProperty(k)}"));
    }
}
