using System.Net;
using System.Text.Json;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Infrastructure.Proxmox;

namespace ProxClmc.Guard.Infrastructure.Tests.Proxmox;

/// <summary>
/// The fake Proxmox answers as the real one does (each point follows the Proxmox source named in FakeProxmox.cs),
/// so that the tests built on it can see what real clusters do.
/// </summary>
public sealed class FakePveFaithfulnessTests
{
    [Theory]
    [InlineData("7.4", 501, false)]
    [InlineData("9.0", 501, false)]
    [InlineData("9.1.14", 501, true)]
    [InlineData("9.1.15", 200, true)]
    [InlineData("9.2", 200, true)]
    public async Task Each_release_has_its_endpoints_and_fields(string release, int customModels, bool vendorFamily)
    {
        await using var pve = await Start(PveRelease.Parse(release));
        using var http = Http(pve);

        var models = await http.GetAsync("cluster/qemu/custom-cpu-models");
        var status = await Data(http, "nodes/pve1/status");

        Assert.Equal(customModels, (int)models.StatusCode);
        Assert.Equal(vendorFamily, status.GetProperty("cpuinfo").TryGetProperty("family", out _));
        Assert.Equal(vendorFamily, status.GetProperty("cpuinfo").TryGetProperty("vendor", out _));
        Assert.Equal(200, (int)(await http.GetAsync("nodes/pve1/capabilities/qemu/cpu")).StatusCode);
    }

    [Fact]
    public async Task A_node_without_corosync_conf_is_standalone_with_nodeid_0()
    {
        var dir = Directory.CreateTempSubdirectory("fake-standalone-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "nodes", "solo", "qemu-server"));
            await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = dir });
            using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

            var status = await client.GetClusterStatusAsync(CancellationToken.None);
            var membership = await new ApiMembershipSource(client).GetMembershipAsync(CancellationToken.None);

            var node = Assert.Single(status);
            Assert.Equal(("node", "solo", (int?)0), (node.Type, node.Name, node.NodeId));
            Assert.True(membership.IsStandalone);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_paused_vm_counts_as_running_and_a_change_waits_in_pending()
    {
        await using var pve = await Start();
        pve.SetVmStatus(100, "paused");
        using var http = Http(pve);

        var current = await Data(http, "nodes/pve1/qemu/100/status/current");
        var put = await http.PutAsync("nodes/pve1/qemu/100/config", Form(("cpu", "kvm64")));

        Assert.Equal(("running", "paused"), (current.GetProperty("status").GetString(), current.GetProperty("qmpstatus").GetString()));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Contains("[PENDING]", pve.GetConfigText(100), StringComparison.Ordinal);
        Assert.Contains("cpu: kvm64", pve.GetConfigText(100)[pve.GetConfigText(100).IndexOf("[PENDING]", StringComparison.Ordinal)..], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pending_value_equal_to_the_current_one_is_cleaned_up()
    {
        await using var pve = await Start();
        using var http = Http(pve);

        var put = await http.PutAsync("nodes/pve1/qemu/100/config", Form(("cpu", "x86-64-v2-AES")));

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.DoesNotContain("[PENDING]", pve.GetConfigText(100), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_key_needs_its_own_privilege_and_unknown_keys_are_refused_with_errors()
    {
        await using var pve = await Start();
        pve.Revoke("VM.Config.Memory", "/vms");
        using var http = Http(pve);

        var memory = await http.PutAsync("nodes/pve1/qemu/100/config", Form(("memory", "4096")));
        var args = await http.PutAsync("nodes/pve1/qemu/100/config", Form(("args", "-cpu host")));
        var unknown = await http.PutAsync("nodes/pve1/qemu/100/config", Form(("frobnicate", "1")));
        var cpu = await http.PutAsync("nodes/pve1/qemu/100/config", Form(("cpu", "kvm64")));

        Assert.Equal((HttpStatusCode.Forbidden, "Permission check failed (/vms/100, VM.Config.Memory)"), (memory.StatusCode, memory.ReasonPhrase));
        Assert.Equal((HttpStatusCode.InternalServerError, "only root can set 'args' config"), (args.StatusCode, args.ReasonPhrase));
        Assert.Equal((HttpStatusCode.BadRequest, "Parameter verification failed."), (unknown.StatusCode, unknown.ReasonPhrase));
        using var body = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync());
        Assert.True(body.RootElement.GetProperty("errors").TryGetProperty("frobnicate", out _));
        Assert.Equal(HttpStatusCode.OK, cpu.StatusCode);
    }

    [Fact]
    public async Task Errors_carry_proxmox_s_own_texts()
    {
        await using var pve = await Start();
        using var http = Http(pve);

        var stale = await http.PutAsync("nodes/pve1/qemu/100/config", Form(("cpu", "kvm64"), ("digest", new string('0', 40))));
        var locked = await http.PutAsync("nodes/pve2/qemu/102/config", Form(("cpu", "kvm64"), ("digest", pve.GetDigest(102))));
        using var anonymous = Http(pve, token: false);
        var refused = await anonymous.GetAsync("cluster/resources");

        Assert.Equal("checksum mismatch (file change by other user?)", stale.ReasonPhrase);
        Assert.Equal("VM is locked (backup)", locked.ReasonPhrase);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Empty(await refused.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Resources_carry_pool_and_ha_state_and_hide_guests_silently()
    {
        await using var pve = await Start();
        pve.SetPool(101, "prod");
        pve.Revoke("VM.Audit", "/vms");
        pve.Grant("VM.Audit", "/pool/prod");
        using var http = Http(pve);

        var resources = (await Data(http, "cluster/resources?type=vm")).EnumerateArray().ToList();

        var vm = Assert.Single(resources);
        Assert.Equal((101, "prod"), (vm.GetProperty("vmid").GetInt32(), vm.GetProperty("pool").GetString()));
    }

    [Fact]
    public async Task Snapshot_lists_always_carry_description_and_vmstate_0_or_1()
    {
        await using var pve = await Start();
        using var http = Http(pve);

        var list = (await Data(http, "nodes/pve1/qemu/101/snapshot")).EnumerateArray().Where(s => s.GetProperty("name").GetString() != "current").ToList();

        Assert.NotEmpty(list);
        Assert.All(list, s => Assert.Contains(s.GetProperty("vmstate").GetInt32(), new[] { 0, 1 }));
        Assert.All(list, s => Assert.Equal(JsonValueKind.String, s.GetProperty("description").ValueKind));
    }

    [Fact]
    public async Task A_two_factor_user_gets_a_half_ticket()
    {
        await using var pve = await Start();
        using var client = new ProxmoxClient(FakeApiCluster.TicketOptions(pve) with { Username = FakeProxmox.TfaUsername });

        var e = await Assert.ThrowsAsync<Core.Sources.SourceUnavailableException>(() => client.GetClusterStatusAsync(CancellationToken.None));

        Assert.Contains("this user needs two-factor authentication: use an API token", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_that_times_out_gets_no_further_request_in_the_run()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions
        {
            SnapshotDir = FakeApiCluster.SnapshotDir, Offline = [new FakeOffline("pve3", Slow: true)], SlowOfflineHang = TimeSpan.FromSeconds(20),
        });
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { Timeout = TimeSpan.FromSeconds(3) });

        var first = await Assert.ThrowsAsync<Core.Sources.SourceUnavailableException>(() => client.GetNodeCpuInfoAsync("pve3", CancellationToken.None));
        var second = await Assert.ThrowsAsync<Core.Sources.SourceUnavailableException>(() => client.GetVmPendingAsync("pve3", 104, CancellationToken.None));

        Assert.True(ProxmoxApiException.From(first)!.IsNodeUnreachable);
        Assert.True(ProxmoxApiException.From(second)!.IsNodeUnreachable);
        Assert.Contains("not sent", second.Message, StringComparison.Ordinal);
        Assert.Equal(["pve3"], client.UnreachableNodes.Keys);

        // The fake logs an abandoned request once Kestrel sees the client close the connection, which can come a
        // moment after the client has given up: wait for that entry (bounded), then count.
        for (var i = 0; i < 100 && pve.CountRequests("GET", "/nodes/pve3/") == 0; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(1, pve.CountRequests("GET", "/nodes/pve3/"));
    }

    private static Task<FakeProxmox> Start(PveRelease? release = null) =>
        FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = FakeApiCluster.SnapshotDir, Release = release ?? PveRelease.Latest });

    private static HttpClient Http(FakeProxmox pve, bool token = true)
    {
        var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true })
        {
            BaseAddress = new Uri(pve.Url + "/api2/json/"),
        };
        if (token)
        {
            http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"PVEAPIToken={FakeProxmox.TokenId}={pve.TokenSecret}");
        }

        return http;
    }

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] values) =>
        new(values.Select(v => new KeyValuePair<string, string>(v.Key, v.Value)));

    private static async Task<JsonElement> Data(HttpClient http, string path)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync(path));
        return doc.RootElement.GetProperty("data").Clone();
    }
}
