using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Infrastructure.Proxmox;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Infrastructure.Tests.Proxmox;

public sealed class ProxmoxConnectionLossTests
{
    [Fact]
    public async Task A_GET_whose_connection_is_cut_is_asked_again()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.AbortNext("/cluster/resources", 1);
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var resources = await client.GetVmResourcesAsync(CancellationToken.None);

        Assert.Equal(7, resources.Count);
        Assert.Equal(2, pve.CountRequests("GET", "/cluster/resources"));
    }

    [Fact]
    public async Task A_write_whose_connection_is_cut_after_it_was_applied_is_not_sent_again_and_says_so()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.AbortNext("/qemu/105/config", 1, "PUT", actFirst: true);
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var result = await new ApiGuestWriter(client).SetCpuAsync("pve3", 105, "kvm64", pve.GetDigest(105), CancellationToken.None);

        Assert.Equal(WriteOutcome.Failed, result.Outcome);
        Assert.Contains("the change may or may not have been applied, re-read the VM before trying again", result.Message);
        Assert.Equal(1, pve.CountRequests("PUT", "/qemu/105/config"));
        Assert.Contains("\ncpu: kvm64\n", pve.GetConfigText(105));
    }
}

public sealed class ProxmoxAnswerFuzzTests
{
    /// <summary>Bytes no Proxmox would send, in place of real answers: the client must answer with a SourceUnavailableException or a value, nothing else.</summary>
    [Fact]
    public async Task Any_answer_body_gives_a_value_or_a_clear_error()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { GetAttempts = 1 });
        var seeds = new List<string>();
        foreach (var path in new[] { "cluster/resources?type=vm", "cluster/status", "nodes/pve1/status", "nodes/pve1/qemu/101/pending", "nodes/pve1/qemu/101/snapshot" })
        {
            using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
            http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"PVEAPIToken={FakeProxmox.TokenId}={pve.TokenSecret}");
            seeds.Add(await http.GetStringAsync($"{pve.Url}/api2/json/{path}"));
        }

        var calls = new Func<Task>[]
        {
            () => client.GetVmResourcesAsync(CancellationToken.None),
            () => client.GetClusterStatusAsync(CancellationToken.None),
            () => client.GetNodeCpuInfoAsync("pve1", CancellationToken.None),
            () => client.GetVmPendingAsync("pve1", 101, CancellationToken.None),
            () => client.GetVmSnapshotsAsync("pve1", 101, CancellationToken.None),
        };
        var i = 0;
        foreach (var body in Fuzz.Inputs(seeds, Fuzz.Cases(250)))
        {
            pve.ServeRawNext("/", 1, body);
            try
            {
                await calls[i++ % calls.Length]();
            }
            catch (SourceUnavailableException e)
            {
                Assert.DoesNotContain('\n', e.Message);
            }
        }

        Assert.Equal(i, pve.Requests.Count - seeds.Count);
    }
}
