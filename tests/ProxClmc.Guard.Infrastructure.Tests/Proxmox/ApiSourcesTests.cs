using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Proxmox;

namespace ProxClmc.Guard.Infrastructure.Tests.Proxmox;

public sealed class ApiSourcesTests
{
    [Fact]
    public async Task Membership_comes_from_the_cluster_status_with_each_node_ip_as_its_link()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var membership = await new ApiMembershipSource(client).GetMembershipAsync(CancellationToken.None);

        Assert.Equal("apilab", membership.ClusterName);
        Assert.False(membership.IsStandalone);
        Assert.Equal(
            ["pve1 1 10.10.10.1", "pve2 2 10.10.10.2", "pve3 3 10.10.10.3"],
            membership.Nodes.Select(n => $"{n.Name} {n.NodeId} {string.Join(',', n.Addresses)}"));
    }

    [Fact]
    public async Task Node_facts_come_from_the_node_status_cpuinfo()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));
        var membership = await new ApiMembershipSource(client).GetMembershipAsync(CancellationToken.None);

        var facts = await new ApiNodeFactsSource(client).GetFactsAsync(membership, CancellationToken.None);

        Assert.All(facts, f => Assert.Equal(FactsSource.Api, f.Source));
        Assert.Equal("Intel(R) Xeon(R) CPU E5-2680 v3 @ 2.50GHz", facts[0].Cpu!.ModelName);
        Assert.Contains("avx2", facts[0].Cpu!.Flags);
        Assert.Contains("avx512f", facts[1].Cpu!.Flags);
        Assert.DoesNotContain("avx512f", facts[2].Cpu!.Flags);
        Assert.Equal("10.10.10.3", facts[2].Address);
    }

    [Fact]
    public async Task A_node_the_cluster_reports_offline_is_unreadable_and_named()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.SetNodeOffline("pve3");
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));
        var membership = new ClusterMembership("apilab", [new ClusterNode("pve3", 3, [new NodeLink(0, "10.10.10.3")])]);

        var facts = await new ApiNodeFactsSource(client).GetFactsAsync(membership, CancellationToken.None);

        var pve3 = Assert.Single(facts);
        Assert.Null(pve3.Cpu);
        Assert.Equal("node pve3 is offline (the cluster status reports it not online)", pve3.Error);
        Assert.Equal(0, pve.CountRequests("GET", "/nodes/pve3/status"));
    }

    [Fact]
    public async Task A_node_the_proxy_cannot_reach_answers_595_and_is_unreadable_without_retries()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.SetNodeOffline("pve2");
        pve.Revoke("Sys.Audit", "/");
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));
        var membership = new ClusterMembership("apilab", [new ClusterNode("pve2", 2, [new NodeLink(0, "10.10.10.2")])]);

        var facts = await new ApiNodeFactsSource(client).GetFactsAsync(membership, CancellationToken.None);

        Assert.Equal("node pve2 is offline: the API could not reach it (595 No route to host)", Assert.Single(facts).Error);
        Assert.Equal(1, pve.CountRequests("GET", "/nodes/pve2/status"));
    }

    [Fact]
    public async Task A_node_without_Sys_Audit_is_unreadable_naming_the_privilege()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.Revoke("Sys.Audit", "/nodes/pve1");
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));
        var membership = new ClusterMembership("apilab", [new ClusterNode("pve1", 1, [])]);

        var facts = await new ApiNodeFactsSource(client).GetFactsAsync(membership, CancellationToken.None);

        Assert.Contains("403 Permission check failed (/nodes/pve1, Sys.Audit)", Assert.Single(facts).Error);
    }

    [Fact]
    public async Task Every_guest_is_read_with_current_and_pending_cpu_snapshots_and_custom_models()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var inventory = await new ApiGuestSource(client).GetGuestsAsync(CancellationToken.None);

        Assert.Equal([100, 101, 102, 103, 104, 105, 200], inventory.Guests.Select(g => g.VmId));
        var g = inventory.Guests.ToDictionary(x => x.VmId);
        Assert.Equal(("pve1", "Dev-VM", "running", "x86-64-v2-AES"), (g[100].Node, g[100].Name, g[100].Status, g[100].Cpu));
        Assert.Equal(pve.GetDigest(100), g[100].Digest);
        Assert.Equal("api:/nodes/pve1/qemu/100", g[100].Origin);
        Assert.Equal("host,flags=+aes", g[101].Cpu);
        Assert.Equal(["prod", "db"], g[101].Tags);
        var snapshot = Assert.Single(g[101].Snapshots);
        Assert.Equal(
            new GuestSnapshot("before-upgrade", "Haswell-noTSX", "Haswell-noTSX,+kvm_pv_eoi,+kvm_pv_unhalt,enforce,vendor=GenuineIntel", true),
            snapshot);
        Assert.Equal("backup", g[102].Lock);
        Assert.Equal((null, "x86-64-v2-AES", "-cpu Haswell,+avx2", (bool?)true), (g[103].Cpu, g[103].PendingCpu, g[103].Args, g[103].Kvm));
        Assert.Equal((true, "stopped"), (g[104].Template, g[104].Status));
        Assert.Equal(("custom-epyc-safe,phys-bits=host", (bool?)false, "stopped"), (g[105].Cpu, g[105].Kvm, g[105].Status));
        Assert.Equal((GuestType.Lxc, "dns01"), (g[200].Type, g[200].Name));
        Assert.Equal("cpu-model: epyc-safe\n    reported-model EPYC\n    flags +aes;-svm\n    phys-bits 43\n\n", inventory.CustomCpuModelsText);
        Assert.Equal(ApiGuestSource.CustomCpuModelsOrigin, inventory.CustomCpuModelsOrigin);
        // Snapshots are always listed: one request per VM, even without a parent line.
        Assert.Equal(1, pve.CountRequests("GET", "/qemu/100/snapshot"));
        Assert.Equal(0, pve.CountRequests("GET", "/lxc/"));
    }

    [Fact]
    public async Task Guests_of_an_offline_node_are_still_listed_with_the_reason()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.SetNodeOffline("pve3");
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var inventory = await new ApiGuestSource(client).GetGuestsAsync(CancellationToken.None);

        var vm104 = inventory.Guests.Single(x => x.VmId == 104);
        Assert.Equal(("unknown", "pve3"), (vm104.Status, vm104.Node));
        Assert.Null(vm104.ConfigError);
        Assert.Equal("node pve3 is unreachable (the cluster status reports it offline): config not read", vm104.NotReadReason);
        Assert.Equal(["pve3"], inventory.UnreadNodes.Keys);
        Assert.Equal(0, pve.CountRequests("GET", "/nodes/pve3/"));
        Assert.Null(inventory.Guests.Single(x => x.VmId == 100).NotReadReason);
    }

    [Fact]
    public async Task Without_the_custom_model_endpoint_the_inventory_has_no_custom_models()
    {
        await using var pve = await FakeApiCluster.StartAsync(clusterCpuEndpoints: false);
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var inventory = await new ApiGuestSource(client).GetGuestsAsync(CancellationToken.None);

        Assert.Null(inventory.CustomCpuModelsText);
        Assert.Equal(7, inventory.Guests.Count);
        // The node's own model list proves the model exists: unverified, not unknown.
        Assert.StartsWith("GET /nodes/", inventory.UnresolvedCustomModels["epyc-safe"]);
        Assert.Contains("/capabilities/qemu/cpu lists it, but GET /cluster/qemu/custom-cpu-models does not exist before Proxmox VE 9.1.15", inventory.UnresolvedCustomModels["epyc-safe"]);
    }

    [Fact]
    public async Task Per_VM_reads_are_bounded_by_the_parallelism()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.Latency = TimeSpan.FromMilliseconds(30);
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { Parallelism = 2 });
        var tracker = new ConcurrencyTracker();
        using var _ = tracker.Attach(pve);

        await new ApiGuestSource(client).GetGuestsAsync(CancellationToken.None);

        Assert.InRange(tracker.Max, 1, 2);
    }
}

/// <summary>Counts how many requests the fake is answering at once (via its latency window).</summary>
internal sealed class ConcurrencyTracker
{
    private int _current;

    public int Max { get; private set; }

    public IDisposable Attach(ProxClmc.Guard.FakePve.FakeProxmox pve)
    {
        pve.RequestStarted += OnStart;
        pve.RequestFinished += OnFinish;
        return new Detach(() =>
        {
            pve.RequestStarted -= OnStart;
            pve.RequestFinished -= OnFinish;
        });
    }

    private void OnStart()
    {
        lock (this)
        {
            _current++;
            Max = Math.Max(Max, _current);
        }
    }

    private void OnFinish()
    {
        lock (this)
        {
            _current--;
        }
    }

    private sealed class Detach(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
