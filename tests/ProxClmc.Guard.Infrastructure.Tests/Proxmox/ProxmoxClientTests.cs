using System.Net;
using System.Net.Sockets;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Infrastructure.Proxmox;

namespace ProxClmc.Guard.Infrastructure.Tests.Proxmox;

public sealed class ProxmoxClientTests
{
    [Fact]
    public async Task A_burst_of_5xx_on_a_GET_is_retried_until_it_succeeds()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.FailNext("/cluster/resources", 2, 503, "Service Unavailable");
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var resources = await client.GetVmResourcesAsync(CancellationToken.None);

        Assert.Equal(7, resources.Count);
        Assert.Equal(3, pve.CountRequests("GET", "/cluster/resources"));
    }

    [Fact]
    public async Task A_GET_that_keeps_failing_gives_up_after_the_configured_attempts_with_the_reason()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.FailNext("/cluster/resources", 10, 500, "got timeout");
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { GetAttempts = 3 });

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetVmResourcesAsync(CancellationToken.None));

        Assert.Equal($"API GET /cluster/resources on 127.0.0.1:{pve.Port}: 500 got timeout (after 3 attempts)", e.Message);
        Assert.Equal(3, pve.CountRequests("GET", "/cluster/resources"));
    }

    [Fact]
    public async Task A_4xx_on_a_GET_is_not_retried()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.FailNext("/cluster/resources", 1, 400, "Parameter verification failed.");
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetVmResourcesAsync(CancellationToken.None));

        Assert.Equal(1, pve.CountRequests("GET", "/cluster/resources"));
    }

    [Fact]
    public async Task A_failing_PUT_is_sent_exactly_once()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.FailNext("/qemu/100/config", 5, 500, "Internal Server Error", method: "PUT");
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(
            () => client.SetVmConfigAsync("pve1", 100, [new("cpu", "x86-64-v3")], pve.GetDigest(100), CancellationToken.None));

        Assert.Equal(1, pve.CountRequests("PUT", "/nodes/pve1/qemu/100/config"));
        Assert.Equal(500, ProxmoxApiException.From(e)!.StatusCode);
    }

    [Fact]
    public async Task A_400_answer_lists_the_fields_Proxmox_rejected()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(
            () => client.SetVmConfigAsync("pve1", 100, [new("cpu", "host\nhookscript: local:snippets/evil")], pve.GetDigest(100), CancellationToken.None));

        Assert.EndsWith("400 Parameter verification failed.: cpu: value must not contain a line break", e.Message);
        Assert.Equal("value must not contain a line break", ProxmoxApiException.From(e)!.FieldErrors["cpu"]);
    }

    [Theory]
    [InlineData("{\"data\": [{\"id\": \"qemu/100\", \"vmid\": 1")]
    [InlineData("<html>502 Bad Gateway</html>")]
    [InlineData("")]
    public async Task Malformed_or_truncated_JSON_is_a_clear_error(string body)
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.ServeRawNext("/cluster/resources", 1, body);
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetVmResourcesAsync(CancellationToken.None));

        Assert.StartsWith($"API GET /cluster/resources on 127.0.0.1:{pve.Port}: the answer is not valid JSON", e.Message);
    }

    [Theory]
    [InlineData("{\"data\": {\"vmid\": 100}}", "expected a list, got an object")]
    [InlineData("{\"data\": [42]}", "expected a list of objects, found a number")]
    [InlineData("{\"data\": [{\"id\": \"qemu/100\", \"type\": \"qemu\"}]}", "has no \"node\"")]
    [InlineData("{\"result\": []}", "no {\"data\": ...} object")]
    public async Task A_200_with_an_unexpected_shape_is_a_clear_error(string body, string expected)
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.ServeRawNext("/cluster/resources", 1, body);
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetVmResourcesAsync(CancellationToken.None));

        Assert.Contains(expected, e.Message);
        Assert.StartsWith("API GET /cluster/resources on ", e.Message);
    }

    [Fact]
    public async Task Booleans_and_numbers_arrive_as_0_1_and_strings_and_missing_names_are_tolerated()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.ServeRawNext("/cluster/resources", 1,
            """{"data":[{"id":"qemu/100","vmid":"100","node":"pve1","type":"qemu","status":"running","template":"1"},{"id":"qemu/101","node":"pve1","type":"qemu","template":0,"name":"db01"}]}""");
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var resources = await client.GetVmResourcesAsync(CancellationToken.None);

        Assert.Equal((100, true, (string?)null), (resources[0].VmId, resources[0].Template, resources[0].Name));
        Assert.Equal((101, false, "db01"), (resources[1].VmId, resources[1].Template, resources[1].Name));
    }

    [Fact]
    public async Task The_first_URL_that_answers_is_used_and_a_refused_connection_moves_to_the_next()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        var closedPort = FreePort();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { Urls = [$"https://127.0.0.1:{closedPort}", pve.Url] });

        await client.GetVersionAsync(CancellationToken.None);
        await client.GetVersionAsync(CancellationToken.None);

        Assert.Equal(pve.Port, client.ActiveUrl.Port);
        Assert.Equal(2, pve.CountRequests("GET", "/version"));
    }

    [Fact]
    public async Task No_URL_answering_names_each_one()
    {
        var port = FreePort();
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { Urls = [$"https://127.0.0.1:{port}"], GetAttempts = 2 });

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetVersionAsync(CancellationToken.None));

        Assert.StartsWith($"API GET /version: no node answered: 127.0.0.1:{port}: ", e.Message);
        Assert.EndsWith("(after 2 attempts)", e.Message);
    }

    [Fact]
    public async Task A_slow_answer_hits_the_timeout()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.Latency = TimeSpan.FromSeconds(30);
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { Timeout = TimeSpan.FromMilliseconds(200), GetAttempts = 1 });

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetVersionAsync(CancellationToken.None));

        Assert.Equal($"API GET /version on 127.0.0.1:{pve.Port}: no answer within 0.2 s (api.timeout_seconds)", e.Message);
    }

    [Theory]
    [InlineData("pve1/../pve2", "/nodes/pve1%2F..%2Fpve2/status")]
    [InlineData("node?x=1#y", "/nodes/node%3Fx%3D1%23y/status")]
    [InlineData("nœud $(reboot);", "/nodes/n%C5%93ud%20%24%28reboot%29%3B/status")]
    public async Task Node_names_never_build_another_path(string node, string expectedPath)
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { GetAttempts = 1 });

        await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetNodeCpuInfoAsync(node, CancellationToken.None));

        Assert.Equal(expectedPath, Assert.Single(pve.Requests).Path);
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("")]
    public async Task Dot_segments_are_refused_before_anything_is_sent(string node)
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetNodeCpuInfoAsync(node, CancellationToken.None));

        Assert.Empty(pve.Requests);
    }

    [Fact]
    public async Task Endpoints_a_Proxmox_version_lacks_are_not_available_rather_than_errors()
    {
        await using var pve = await FakeApiCluster.StartAsync(clusterCpuEndpoints: false);
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        Assert.Null(await client.GetClusterCpuFlagsAsync(CancellationToken.None));
        Assert.Null(await client.GetCustomCpuModelsAsync(CancellationToken.None));
        Assert.Equal(1, pve.CountRequests("GET", "/cluster/qemu/cpu-flags"));
    }

    [Fact]
    public async Task Cluster_CPU_endpoints_are_read_where_present()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var flags = await client.GetClusterCpuFlagsAsync(CancellationToken.None);
        var custom = await client.GetCustomCpuModelsAsync(CancellationToken.None);
        var models = await client.GetQemuCpuModelsAsync("pve1", CancellationToken.None);

        Assert.Equal(["pve2"], flags!.Single(f => f.Name == "avx512f").SupportedOn);
        Assert.Equal(["pve1", "pve2", "pve3"], flags!.Single(f => f.Name == "sse4.2").SupportedOn);
        Assert.Equal("epyc-safe", Assert.Single(custom!).Name);
        Assert.Contains(models!, m => m is { Name: "custom-epyc-safe", Custom: true });
    }

    [Theory]
    [InlineData("pve1", "https://pve1:8006/api2/json/")]
    [InlineData("https://10.0.0.1:8006", "https://10.0.0.1:8006/api2/json/")]
    [InlineData("https://pve1.example.org:8006/api2/json", "https://pve1.example.org:8006/api2/json/")]
    [InlineData("https://[::1]:8006/", "https://[::1]:8006/api2/json/")]
    public void API_urls_are_normalised(string url, string expected) =>
        Assert.Equal(expected, ProxmoxApiOptions.NormalizeUrl(url).AbsoluteUri);

    [Theory]
    [InlineData("http://pve1:8006")]
    [InlineData("https://pve1:8006/somewhere")]
    [InlineData("https://pve1:8006/?x=1")]
    public void Bad_API_urls_are_configuration_errors(string url) =>
        Assert.StartsWith("api.url:", Assert.Throws<GuardConfigurationException>(() => ProxmoxApiOptions.NormalizeUrl(url)).Message);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public sealed class ProxmoxConfigReadTests
{
    [Fact]
    public async Task The_config_has_pending_values_applied_and_current_gives_the_running_ones()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var applied = await client.GetVmConfigAsync("pve2", 103, cancellationToken: CancellationToken.None);
        var current = await client.GetVmConfigAsync("pve2", 103, current: true, cancellationToken: CancellationToken.None);
        var snapshot = await client.GetVmConfigAsync("pve1", 101, snapshot: "before-upgrade", cancellationToken: CancellationToken.None);

        Assert.Equal(("x86-64-v2-AES", "1", "-cpu Haswell,+avx2"), (applied.Get("cpu"), applied.Get("kvm"), applied.Get("args")));
        Assert.Null(current.Get("cpu"));
        Assert.Equal(pve.GetDigest(103), current.Digest);
        Assert.Equal("Haswell-noTSX", snapshot.Get("cpu"));
        Assert.Equal("?snapshot=before-upgrade", "?" + pve.Requests.Last().Query);
    }

    [Fact]
    public async Task The_pending_list_shows_current_pending_and_deleted_values()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));
        await client.SetVmConfigAsync("pve1", 100, [new("delete", "cpu")], pve.GetDigest(100), CancellationToken.None);

        var pending = await client.GetVmPendingAsync("pve1", 100, CancellationToken.None);

        Assert.Equal(new PendingEntry("cpu", "x86-64-v2-AES", null, true), pending.Single(p => p.Key == "cpu"));
        Assert.Equal(pve.GetDigest(100), pending.Single(p => p.Key == "digest").Value);
        Assert.EndsWith("\n[PENDING]\ndelete: cpu\n", pve.GetConfigText(100));
    }

    [Fact]
    public async Task The_snapshot_list_has_the_snapshots_and_current()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var snapshots = await client.GetVmSnapshotsAsync("pve1", 101, CancellationToken.None);

        Assert.Equal([new SnapshotListEntry("before-upgrade", true, null), new SnapshotListEntry("current", false, "before-upgrade")], snapshots);
    }
}

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ProxmoxApiOptionsTests
{
    [Fact]
    public async Task Options_from_the_config_keys_read_the_secret_file_and_reach_the_API()
    {
        await using var pve = await FakeApiCluster.StartAsync();

        var options = ProxmoxApiOptions.FromConfig(
            [pve.Url], tokenId: FakeProxmox.TokenId, tokenSecretFile: pve.TokenFile, caFile: pve.CaCertificatePath, timeoutSeconds: 10, parallelism: 3);
        using var client = new ProxmoxClient(options);

        Assert.Equal((pve.TokenSecret, TimeSpan.FromSeconds(10), 3), (options.TokenSecret, options.Timeout, options.Parallelism));
        Assert.Equal("9.2.11", (await client.GetVersionAsync(CancellationToken.None)).Version);
    }

    [Fact]
    public void A_world_readable_token_file_is_a_configuration_error()
    {
        var dir = Directory.CreateTempSubdirectory("apiopts-");
        try
        {
            var file = Path.Combine(dir.FullName, "token");
            File.WriteAllText(file, "secret\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

            var e = Assert.Throws<GuardConfigurationException>(() => ProxmoxApiOptions.FromConfig(["https://pve1:8006"], tokenId: "root@pam!guard", tokenSecretFile: file));

            Assert.Equal($"api.token_secret_file: {file} has mode 0644; secrets must be 0600 or 0400 (chmod 600 {file})", e.Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("root@pam", "api.token_id: \"root@pam\" is not of the form user@realm!tokenname")]
    [InlineData(null, "api: set token_id and token_secret_file (or username and password_file)")]
    public void Incomplete_credentials_are_configuration_errors(string? tokenId, string expected)
    {
        var options = new ProxmoxApiOptions { Urls = ["https://pve1:8006"], TokenId = tokenId, TokenSecret = "x" };

        Assert.Equal(expected, Assert.Throws<GuardConfigurationException>(options.Validate).Message);
    }

    [Fact]
    public async Task An_unreachable_API_makes_node_facts_fail_as_a_whole()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        var port = pve.Port;
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { GetAttempts = 1 });
        await pve.DisposeAsync();
        var membership = new ClusterMembership("apilab", [new ClusterNode("pve1", 1, [])]);

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => new ApiNodeFactsSource(client).GetFactsAsync(membership, CancellationToken.None));

        Assert.StartsWith($"API GET /cluster/status: no node answered: 127.0.0.1:{port}: ", e.Message);
    }
}
