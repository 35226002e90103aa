using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Faults;

/// <summary>
/// The fault matrix through the API: the fake Proxmox serves the lab cluster over real HTTPS and misbehaves on purpose.
/// Each case gives the documented exit code, one line saying why, and writes nothing (no report, no cache, no VM config
/// change) when it cannot answer.
/// </summary>
public sealed class ApiFaultTests : FakePveTest
{
    private readonly HashSet<string> _offlineNodes = [];

    private string CacheFile => Path.Combine(Dir, "facts-cache.json");

    private string ReportFile => Path.Combine(Dir, "report.json");

    [Fact]
    public void A_node_down_exits_3_naming_it_and_writes_nothing()
    {
        Pve.SetNodeOffline("pve2");
        _offlineNodes.Add("pve2");

        var result = GuardRun.Run("scan", "--config", Config());

        Assert.True(result.Exit == 3, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("pve2", line, StringComparison.Ordinal);
        AssertNothingWritten();
    }

    [Fact]
    public void A_cluster_slower_than_the_api_timeout_exits_3_saying_so()
    {
        Pve.Latency = TimeSpan.FromSeconds(2.5);

        var result = GuardRun.Run("baseline", "--config", Config("timeout_seconds = 1"));

        Assert.True(result.Exit == 3, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("timeout", line, StringComparison.OrdinalIgnoreCase);
        AssertNothingWritten();
    }

    [Fact]
    public void A_burst_of_5xx_is_retried_and_the_scan_gives_the_lab_verdicts()
    {
        Pve.FailNext("/cluster/resources", 2, 503, "Service Unavailable");
        Pve.FailNext("/qemu/", 2, 500, "Internal Server Error", method: "GET");
        Pve.FailNext("/cpu", 1, 502, "Bad Gateway");

        var result = GuardRun.Run("scan", "--config", Config(), "--format", "json");
        var offline = GuardRun.Run("scan", "--from", GuardRun.Lab, "--format", "json");

        Assert.True(result.Exit == 2, result.ToString());
        Assert.StartsWith("proxclmc-guard: 11 guests are not safe", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(Verdicts(offline.Out), Verdicts(result.Out));
        Assert.True(Pve.CountRequests("GET", "/cluster/resources") >= 3, "the failed listing was asked again");
    }

    [Fact]
    public void A_ticket_expiring_mid_run_is_renewed_and_the_scan_succeeds()
    {
        var expired = 0;
        Pve.RequestStarted += () =>
        {
            // Expire every ticket once, after the run has logged in and is reading guests.
            if (Pve.CountRequests("GET", "/qemu/") >= 5 && Interlocked.Exchange(ref expired, 1) == 0)
            {
                Pve.ExpireTickets();
            }
        };

        var result = GuardRun.Run("scan", "--config", TicketConfig(), "--format", "json");
        var offline = GuardRun.Run("scan", "--from", GuardRun.Lab, "--format", "json");

        Assert.True(result.Exit == 2, result.ToString());
        Assert.Equal(1, expired);
        Assert.Equal(Verdicts(offline.Out), Verdicts(result.Out));
        Assert.True(Pve.CountRequests("POST", "/access/ticket") >= 2, "logged in again after the ticket expired");
        Assert.Contains(Pve.Requests, r => r.Status == 401);
    }

    [Theory]
    [InlineData("/cluster/resources", "{\"data\":[{\"vmid\":100,\"node\":\"pve1\",")]
    [InlineData("/cluster/status", "{\"data\": [ {\"type\": \"node\", \"name\": \"pve1\"} ")]
    [InlineData("/cluster/resources", "<html><body>502 Bad Gateway</body></html>")]
    [InlineData("/cluster/resources", "")]
    public void Malformed_or_truncated_json_exits_3_in_one_line(string path, string body)
    {
        Pve.ServeRawNext(path, 10, body);

        var result = GuardRun.Run("scan", "--config", Config());

        Assert.True(result.Exit == 3, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains(path.TrimStart('/'), line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        AssertNothingWritten();
    }

    [Theory]
    [InlineData("/cluster/resources", "{\"data\":{\"vmid\":100}}")]
    [InlineData("/cluster/resources", "{\"data\":[{\"vmid\":\"one hundred\",\"node\":\"pve1\",\"type\":\"qemu\"}]}")]
    [InlineData("/cluster/status", "{\"data\":\"ok\"}")]
    [InlineData("/cluster/status", "[1,2,3]")]
    public void A_200_with_an_unexpected_shape_exits_3_in_one_line(string path, string body)
    {
        Pve.ServeRawNext(path, 10, body);

        var result = GuardRun.Run("scan", "--config", Config());

        Assert.True(result.Exit == 3, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains(path.TrimStart('/'), line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        AssertNothingWritten();
    }

    [Fact]
    public void A_cpu_value_Proxmox_refuses_arrives_without_cpu_and_is_judged_as_the_kvm64_it_starts()
    {
        var text = Pve.GetConfigText(103);
        Pve.SetConfigText(103, text.Replace("cpu: x86-64-v3\n", "cpu: x86-64-v3,phys-bits=7\n", StringComparison.Ordinal));
        var digest = Pve.GetDigest(103);

        var result = GuardRun.Run("scan", "--config", Config(), "--format", "json");

        // Proxmox's own GET drops the refused value: the same verdict as from the file, without the note.
        Assert.True(result.Exit == 2, result.ToString());
        using (var doc = System.Text.Json.JsonDocument.Parse(result.Out))
        {
            var guest = doc.RootElement.GetProperty("guests").EnumerateArray().Single(g => g.GetProperty("vmid").GetInt32() == 103);
            Assert.Equal("ok", guest.GetProperty("verdict").GetString());
            Assert.Equal("kvm64 (default)", guest.GetProperty("cpu").GetString());
        }

        Assert.Equal(digest, Pve.GetDigest(103));
        Assert.DoesNotContain(Pve.Requests, r => r.Method is "PUT" or "POST" && r.Path.Contains("/qemu/", StringComparison.Ordinal));
    }

    private void AssertNothingWritten()
    {
        Assert.False(File.Exists(ReportFile), "no report written");
        // The facts cache is the hook's store of last-known facts: it may be refreshed from the nodes that did answer,
        // but never with facts of a node that did not.
        Assert.True(!File.Exists(CacheFile) || !File.ReadAllText(CacheFile).Contains("\"pve2\"", StringComparison.Ordinal) || !_offlineNodes.Contains("pve2"));
        Assert.DoesNotContain(Pve.Requests, r => r.Method is "PUT" or "DELETE" || (r.Method == "POST" && !r.Path.Contains("/access/ticket", StringComparison.Ordinal)));
    }

    private string Config(string extraApi = "") => WriteConfig(apiExtra: extraApi, extra: $"""
        [report]
        json_file = "{ReportFile}"
        """);

    private string TicketConfig() => Write($"""
        [api]
        url = "{Pve.Url}"
        username = "{FakeProxmox.Username}"
        password_file = "{Pve.PasswordFile}"
        ca_file = "{Pve.CaCertificatePath}"
        timeout_seconds = {ServerTimeouts.AnswerSeconds}

        [facts]
        source = "api"
        cache_file = "{CacheFile}"
        """);

    private string Write(string text)
    {
        var path = Path.Combine(Dir, $"guard-{Guid.NewGuid():N}.toml");
        File.WriteAllText(path, text);
        return path;
    }

    private static SortedDictionary<int, string> Verdicts(string json)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var result = new SortedDictionary<int, string>();
        foreach (var guest in doc.RootElement.GetProperty("guests").EnumerateArray())
        {
            result[guest.GetProperty("vmid").GetInt32()] = guest.GetProperty("verdict").GetString() + " " + guest.GetProperty("cpu").GetString();
        }

        return result;
    }
}
