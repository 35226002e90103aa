using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Infrastructure.Proxmox;
using ProxClmc.Guard.Infrastructure.Security;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Infrastructure.Tests.Proxmox;

/// <summary>Starts the fake Proxmox on Fixtures/api-cluster and builds client options the way the CLI maps [api].</summary>
internal static class FakeApiCluster
{
    public static string SnapshotDir => CorpusTree.Of(Corpus.TestData("ProxClmc.Guard.Infrastructure.Tests", "Fixtures", "api-cluster"));

    public static Task<FakeProxmox> StartAsync(FakeCertificateKind certificate = FakeCertificateKind.Valid, TimeProvider? time = null, bool clusterCpuEndpoints = true) =>
        FakeProxmox.StartAsync(new FakeProxmoxOptions
        {
            SnapshotDir = SnapshotDir,
            Certificate = certificate,
            TimeProvider = time ?? TimeProvider.System,
            HasClusterCpuEndpoints = clusterCpuEndpoints,
        });

    /// <summary>Token auth, CA file, short retry delay (the fake answers at once).</summary>
    public static ProxmoxApiOptions TokenOptions(FakeProxmox pve) => new()
    {
        Urls = [pve.Url],
        TokenId = FakeProxmox.TokenId,
        TokenSecret = SecretFile.Read(pve.TokenFile, "api.token_secret_file"),
        CaFile = pve.CaCertificatePath,
        Timeout = ServerTimeouts.Answer,
        RetryDelay = TimeSpan.FromMilliseconds(20),
        Parallelism = 4,
    };

    public static ProxmoxApiOptions TicketOptions(FakeProxmox pve) => TokenOptions(pve) with
    {
        TokenId = null,
        TokenSecret = null,
        Username = FakeProxmox.Username,
        Password = SecretFile.Read(pve.PasswordFile, "api.password_file"),
    };
}

/// <summary>A clock the test moves by hand (tickets age by it; delays still run in real time).</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
