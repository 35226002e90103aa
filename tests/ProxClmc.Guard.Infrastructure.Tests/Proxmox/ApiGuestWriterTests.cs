using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Proxmox;

namespace ProxClmc.Guard.Infrastructure.Tests.Proxmox;

public sealed class ApiGuestWriterTests
{
    [Fact]
    public async Task A_cpu_change_on_a_running_VM_lands_in_pending()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));
        var writer = new ApiGuestWriter(client);
        var before = await writer.ReadGuestAsync("pve1", 100, CancellationToken.None);

        var result = await writer.SetCpuAsync("pve1", 100, "x86-64-v3", before!.Digest!, CancellationToken.None);
        var after = await writer.ReadGuestAsync("pve1", 100, CancellationToken.None);

        Assert.Equal(new WriteResult(WriteOutcome.Written, "pending until the VM is stopped and started again", true), result);
        Assert.Equal(("x86-64-v2-AES", "x86-64-v3", "running"), (after!.Cpu, after.PendingCpu, after.Status));
        Assert.NotEqual(before.Digest, after.Digest);
        Assert.EndsWith("\n[PENDING]\ncpu: x86-64-v3\n", pve.GetConfigText(100));
    }

    [Fact]
    public async Task A_cpu_change_on_a_stopped_VM_is_written_at_once()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));
        var writer = new ApiGuestWriter(client);

        var result = await writer.SetCpuAsync("pve3", 105, "x86-64-v2-AES", pve.GetDigest(105), CancellationToken.None);
        var after = await writer.ReadGuestAsync("pve3", 105, CancellationToken.None);

        Assert.Equal(new WriteResult(WriteOutcome.Written), result);
        Assert.Equal(("x86-64-v2-AES", (string?)null), (after!.Cpu, after.PendingCpu));
        Assert.StartsWith("cores: 2\ncpu: x86-64-v2-AES\nkvm: 0\n", pve.GetConfigText(105));
    }

    [Fact]
    public async Task A_config_changed_by_someone_else_is_a_digest_mismatch_and_is_left_alone()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));
        var planned = pve.GetDigest(100);
        pve.SetConfigText(100, pve.GetConfigText(100) + "onboot: 0\n");
        var changed = pve.GetConfigText(100);

        var result = await new ApiGuestWriter(client).SetCpuAsync("pve1", 100, "x86-64-v3", planned, CancellationToken.None);

        Assert.Equal(new WriteResult(WriteOutcome.DigestMismatch, "checksum mismatch (file change by other user?)"), result);
        Assert.Equal(changed, pve.GetConfigText(100));
        Assert.Equal(1, pve.CountRequests("PUT", "/qemu/100/config"));
    }

    [Fact]
    public async Task A_locked_VM_is_reported_locked()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var result = await new ApiGuestWriter(client).SetCpuAsync("pve2", 102, "x86-64-v2-AES", pve.GetDigest(102), CancellationToken.None);

        Assert.Equal(new WriteResult(WriteOutcome.Locked, "VM is locked (backup)"), result);
    }

    [Fact]
    public async Task A_missing_VM_Config_CPU_fails_naming_the_privilege()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.Revoke("VM.Config.CPU", "/vms");
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var result = await new ApiGuestWriter(client).SetCpuAsync("pve3", 105, "kvm64", pve.GetDigest(105), CancellationToken.None);

        Assert.Equal(WriteOutcome.Failed, result.Outcome);
        Assert.Contains("403 Permission check failed (/vms/105, VM.Config.CPU)", result.Message);
    }

    [Fact]
    public async Task A_server_error_on_the_write_fails_once_and_is_not_retried()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        pve.FailNext("/qemu/105/config", 3, 500, "Internal Server Error", method: "PUT");
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var result = await new ApiGuestWriter(client).SetCpuAsync("pve3", 105, "kvm64", pve.GetDigest(105), CancellationToken.None);

        Assert.Equal(WriteOutcome.Failed, result.Outcome);
        Assert.Equal(1, pve.CountRequests("PUT", "/qemu/105/config"));
    }

    [Fact]
    public async Task Reading_a_VM_that_does_not_exist_gives_null()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        Assert.Null(await new ApiGuestWriter(client).ReadGuestAsync("pve1", 999, CancellationToken.None));
        Assert.Equal(1, pve.CountRequests("GET", "/qemu/999/"));
    }
}
