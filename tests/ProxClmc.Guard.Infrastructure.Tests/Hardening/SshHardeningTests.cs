using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Infrastructure.Ssh;
using ProxClmc.Guard.Infrastructure.Tests.Ssh;
using ProxClmc.Guard.Testing;
using ProxClmc.Guard.Testing.Ssh;

namespace ProxClmc.Guard.Infrastructure.Tests.Hardening;

/// <summary>A hostile node floods stderr (real sshd on loopback): the read is cut off at its cap with one line, not buffered.</summary>
public sealed class SshHardeningTests : IAsyncLifetime
{
    private SshFixture _ssh = null!;

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        _ssh = await SshFixture.StartAsync(
            [new FakeSshNodeSpec("pve-noisy", SshClusterFixture.CpuInfo(SshClusterFixture.CpuInfoFiles[0])) { StderrBytes = 200L * 1024 * 1024, RsaHostKey = false }],
            cts.Token);
    }

    public async Task DisposeAsync() => await _ssh.DisposeAsync();

    [Fact]
    public async Task A_node_flooding_stderr_is_refused_at_the_cap()
    {
        var options = new SshOptions
        {
            Port = _ssh.Port,
            IdentityFile = _ssh.ClientKeyEd25519,
            KnownHostsFiles = [_ssh.KnownHostsPlain],
            ConnectTimeout = ServerTimeouts.Answer,
            CommandTimeout = ServerTimeouts.Answer,
        };
        using var reader = new SshCpuInfoReader(options);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var result = await reader.ReadAsync(new ClusterNode("pve-noisy", 1, [new NodeLink(0, _ssh["pve-noisy"].Address)]), cts.Token);

        Assert.False(result.IsSuccess);
        Assert.Equal($"pve-noisy ({_ssh["pve-noisy"].Address}): `cat /proc/cpuinfo` wrote more than 65536 bytes to stderr; refused", result.Error);
    }
}
