using System.Net;
using System.Net.Sockets;
using System.Text;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Infrastructure.Proxmox;
using ProxClmc.Guard.Infrastructure.Tests.Proxmox;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Infrastructure.Tests.Hardening;

/// <summary>
/// A hostile node or API (or whoever sits between): whatever it sends costs bounded memory, and the API is never
/// reached through a proxy nobody configured. The fake Proxmox answers over real HTTPS.
/// </summary>
public sealed class ApiHardeningTests
{
    [Fact]
    public async Task A_gzip_bomb_is_refused_after_the_decompressed_limit_not_inflated()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { GetAttempts = 1 });
        var bomb = Fuzz.GzipBomb(1024L * 1024 * 1024);
        pve.ServeBytesNext("/version", 1, bomb, contentEncoding: "gzip");

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetVersionAsync(CancellationToken.None));

        Assert.True(bomb.Length < 2 * 1024 * 1024, $"the bomb is {bomb.Length} bytes");
        Assert.EndsWith($"answer larger than {BoundedBody.MaxBytes} bytes after decompression; refused", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task A_huge_error_body_is_not_read_past_its_limit()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { GetAttempts = 1 });
        pve.ServeBytesNext("/version", 1, Fuzz.GzipBomb(512L * 1024 * 1024), status: 400, contentEncoding: "gzip", reason: "Parameter verification failed.");

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetVersionAsync(CancellationToken.None));

        Assert.Contains("400 Parameter verification failed.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_answer_on_the_wire_larger_than_the_limit_is_refused()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { GetAttempts = 1 });
        var body = Encoding.ASCII.GetBytes("{\"data\":\"" + new string('B', BoundedBody.MaxBytes + 16) + "\"}");
        pve.ServeBytesNext("/version", 1, body);

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetVersionAsync(CancellationToken.None));

        Assert.Contains($"over the limit of {BoundedBody.MaxBytes} bytes; refused", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_api_goes_through_the_configured_proxy_and_only_that_one()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var proxy = new TcpListener(IPAddress.Loopback, 0);
        proxy.Start();
        var proxyUrl = new Uri($"http://127.0.0.1:{((IPEndPoint)proxy.LocalEndpoint).Port}");
        var accepted = proxy.AcceptTcpClientAsync();

        using (var direct = new ProxmoxClient(FakeApiCluster.TokenOptions(pve)))
        {
            // No [api] proxy: a direct connection, whatever HTTPS_PROXY says in this process's environment.
            await direct.GetVersionAsync(CancellationToken.None);
        }

        Assert.False(accepted.IsCompleted, "the client connected to a proxy nobody configured");

        using var proxied = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { Proxy = proxyUrl, GetAttempts = 1, Timeout = TimeSpan.FromSeconds(3) });
        var call = proxied.GetVersionAsync(CancellationToken.None);
        using var connection = await accepted.WaitAsync(TimeSpan.FromSeconds(30));
        var request = new byte[256];
        var read = await connection.GetStream().ReadAsync(request);

        Assert.StartsWith($"CONNECT 127.0.0.1:{pve.Port} HTTP/1.1", Encoding.ASCII.GetString(request, 0, read), StringComparison.Ordinal);
        connection.Close();
        await Assert.ThrowsAnyAsync<Exception>(() => call);
    }
}
