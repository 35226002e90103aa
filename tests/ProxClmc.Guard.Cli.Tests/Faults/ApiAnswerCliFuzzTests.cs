using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Faults;

/// <summary>
/// Mutated Proxmox answers all the way through the real command line: whatever the API sends, scan ends with a
/// documented exit code and, when it cannot answer, one line saying why; never a stack trace.
/// Each case is a whole CLI run, so this uses a twentieth of the fuzz case count (50 in CI, 500 in the benchmark run).
/// </summary>
public sealed class ApiAnswerCliFuzzTests : FakePveTest
{

    [Fact]
    public async Task Fuzzed_api_answers_give_a_documented_exit_and_one_line()
    {
        string[] paths = ["cluster/status", "cluster/resources?type=vm", "nodes/pve1/status", "nodes/pve2/qemu/103/pending", "nodes/pve1/qemu/100/pending"];
        var seeds = new List<string>();
        using (var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true }))
        {
            http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"PVEAPIToken={FakeProxmox.TokenId}={Pve.TokenSecret}");
            foreach (var path in paths)
            {
                seeds.Add(await http.GetStringAsync($"{Pve.Url}/api2/json/{path}"));
            }
        }

        var config = Path.Combine(Dir, "guard.toml");
        await File.WriteAllTextAsync(config, $"""
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
        var exits = new Dictionary<int, int>();
        var i = 0;
        foreach (var body in Fuzz.Inputs(seeds, Math.Max(20, Fuzz.Cases() / 20)))
        {
            var target = paths[i++ % paths.Length];
            Pve.ServeRawNext("/" + target.Split('?')[0], 1, body);

            var result = GuardRun.Run("scan", "--config", config);

            Assert.True(result.Exit is 0 or 1 or 2 or 3, result.ToString());
            if (result.Exit != 0)
            {
                Assert.True(result.ErrorLines.Count == 1, result.ToString());
            }

            Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
            exits[result.Exit] = exits.GetValueOrDefault(result.Exit) + 1;
            Pve.ClearRequestLog();
        }

        // Both a refused answer and a survivable one (an unused field broken, a retried body) must have occurred.
        Assert.True(exits.ContainsKey(3) && exits.Keys.Any(e => e != 3), string.Join(", ", exits.Select(e => $"exit {e.Key}: {e.Value}")));
    }
}
