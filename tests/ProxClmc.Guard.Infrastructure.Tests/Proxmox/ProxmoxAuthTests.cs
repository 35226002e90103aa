using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Infrastructure.Proxmox;

namespace ProxClmc.Guard.Infrastructure.Tests.Proxmox;

public sealed class ProxmoxAuthTests
{
    [Fact]
    public async Task An_API_token_reads_the_cluster()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var status = await client.GetClusterStatusAsync(CancellationToken.None);

        Assert.Equal(["pve1", "pve2", "pve3"], status.Where(s => s.IsNode).Select(s => s.Name));
        Assert.Equal(0, pve.CountRequests("POST", "/access/ticket"));
    }

    [Fact]
    public async Task A_bad_token_gives_one_line_naming_the_token()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { TokenSecret = "00000000-0000-0000-0000-000000000000" });

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetClusterStatusAsync(CancellationToken.None));

        Assert.Equal(
            $"API GET /cluster/status on 127.0.0.1:{pve.Port}: 401 authentication failure " +
            "(the API token root@pam!guard was refused; check api.token_id and api.token_secret_file)",
            e.Message);
        Assert.Equal(1, pve.CountRequests("GET", "/cluster/status"));
    }

    [Fact]
    public async Task A_ticket_login_reads_the_cluster_and_writes_with_the_CSRF_token()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TicketOptions(pve));
        var digest = pve.GetDigest(105);

        await client.GetClusterStatusAsync(CancellationToken.None);
        await client.SetVmConfigAsync("pve3", 105, [new("cpu", "x86-64-v2-AES")], digest, CancellationToken.None);

        Assert.Equal(1, pve.CountRequests("POST", "/access/ticket"));
        Assert.Contains("\ncpu: x86-64-v2-AES\n", pve.GetConfigText(105));
    }

    [Fact]
    public async Task A_wrong_password_gives_one_line_naming_the_keys()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TicketOptions(pve) with { Password = "wrong" });

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetClusterStatusAsync(CancellationToken.None));

        Assert.StartsWith($"API login as root@pam on 127.0.0.1:{pve.Port}: 401 authentication failure", e.Message);
        Assert.EndsWith("(check api.username and api.password_file)", e.Message);
    }

    [Fact]
    public async Task A_ticket_is_renewed_before_its_two_hours_run_out()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero));
        await using var pve = await FakeApiCluster.StartAsync(time: clock);
        using var client = new ProxmoxClient(FakeApiCluster.TicketOptions(pve), clock);

        await client.GetClusterStatusAsync(CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(110));
        await client.GetClusterStatusAsync(CancellationToken.None);

        Assert.Equal(2, pve.CountRequests("POST", "/access/ticket"));
        Assert.DoesNotContain(pve.Requests, r => r.Status == 401);
    }

    [Fact]
    public async Task A_ticket_that_stops_working_mid_run_is_renewed_once()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TicketOptions(pve));
        await client.GetClusterStatusAsync(CancellationToken.None);

        pve.ExpireTickets();
        var status = await client.GetClusterStatusAsync(CancellationToken.None);

        Assert.NotEmpty(status);
        Assert.Equal(2, pve.CountRequests("POST", "/access/ticket"));
        Assert.Single(pve.Requests, r => r.Status == 401);
    }

    [Fact]
    public async Task A_missing_VM_Audit_on_one_VM_names_the_privilege_and_the_path()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.Revoke("VM.Audit", "/vms/100");
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetVmPendingAsync("pve1", 100, CancellationToken.None));

        Assert.Contains("403 Permission check failed (/vms/100, VM.Audit)", e.Message);
        Assert.Equal(403, ProxmoxApiException.From(e)!.StatusCode);
    }

    [Fact]
    public async Task A_token_without_VM_Audit_anywhere_is_not_mistaken_for_an_empty_cluster()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.Revoke("VM.Audit");
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => new ApiGuestSource(client).GetGuestsAsync(CancellationToken.None));

        Assert.Contains("Permission check failed (/vms, VM.Audit)", e.Message);
        Assert.Contains("root@pam!guard", e.Message);
    }
}
