using ProxClmc.Guard.Infrastructure.Proxmox;

namespace ProxClmc.Guard.Infrastructure.Tests.Proxmox;

/// <summary>
/// The fake Proxmox applies qemu-server's cpu validation (Core's GuestCpu.VmConfigRejection): a write of a value
/// Proxmox refuses fails with 400 and the reason per parameter, and a value already in a file is dropped from
/// every read, as Proxmox's non-strict config loading does.
/// </summary>
public sealed class ApiCpuValidationTests
{
    [Theory]
    [InlineData("x86-64-v2-AES,flags=+avx2", "flag 'avx2' is not allowed in a VM config")]
    [InlineData("x86-64-v2-AES,flags=+md_clear", "flag 'md_clear' is not allowed in a VM config")]
    [InlineData("kvm64,bogus=1", "unknown key 'bogus'")]
    [InlineData("Haswel", "built-in cputype 'Haswel' is not defined")]
    public async Task A_cpu_value_Proxmox_refuses_is_a_400_naming_the_parameter_and_nothing_is_written(string value, string reason)
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));
        var before = pve.GetConfigText(105);

        var thrown = await Assert.ThrowsAsync<ProxClmc.Guard.Core.Sources.SourceUnavailableException>(() =>
            client.SetVmConfigAsync("pve3", 105, [new("cpu", value)], pve.GetDigest(105), CancellationToken.None));
        var error = Assert.IsType<ProxmoxApiException>(thrown.InnerException);

        Assert.Equal(400, error.StatusCode);
        Assert.Equal("Parameter verification failed.", error.Reason);
        Assert.Contains(reason, error.FieldErrors["cpu"], StringComparison.Ordinal);
        Assert.Equal(before, pve.GetConfigText(105));
    }

    [Fact]
    public async Task A_level_up_to_4294967295_is_written()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        await client.SetVmConfigAsync("pve3", 105, [new("cpu", "x86-64-v2-AES,level=4294967295")], pve.GetDigest(105), CancellationToken.None);

        Assert.Contains("\ncpu: x86-64-v2-AES,level=4294967295\n", "\n" + pve.GetConfigText(105), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_cpu_value_in_the_file_is_missing_from_config_and_pending()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));
        var text = pve.GetConfigText(105);
        var cpuLine = text.Split('\n').Single(l => l.StartsWith("cpu: ", StringComparison.Ordinal));
        pve.SetConfigText(105, text.Replace(cpuLine, "cpu: x86-64-v2-AES,flags=+avx2", StringComparison.Ordinal));

        var config = await client.GetVmConfigAsync("pve3", 105, cancellationToken: CancellationToken.None);
        var pending = await client.GetVmPendingAsync("pve3", 105, CancellationToken.None);

        Assert.Null(config.Get("cpu"));
        Assert.DoesNotContain(pending, p => p.Key == "cpu");
        Assert.NotNull(config.Get("name"));
    }
}
