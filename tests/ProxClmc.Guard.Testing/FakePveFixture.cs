using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Support;

/// <summary>
/// The one way CLI tests start the fake Proxmox: over a snapshot folder, as one release, with nodes down if asked, and
/// a private temp folder for configs, caches and reports. Test classes either derive from <see cref="FakePveTest"/>
/// (one fake per test, the xunit lifetime) or start extra fakes in a test with <see cref="StartAsync"/>.
/// </summary>
public static class FakePveFixture
{
    public static Task<FakeProxmox> StartAsync(string? snapshot = null, PveRelease? release = null, IReadOnlyList<FakeOffline>? offline = null, TimeSpan? slowHang = null) =>
        FakeProxmox.StartAsync(new FakeProxmoxOptions
        {
            SnapshotDir = snapshot ?? GuardRun.Lab,
            Release = release ?? PveRelease.Latest,
            Offline = offline ?? [],
            SlowOfflineHang = slowHang ?? TimeSpan.FromSeconds(30),
        });

    /// <summary>A proxclmc-guard.toml for this fake: token auth, the cluster CA, node facts through the API, the cache in <paramref name="dir"/>.</summary>
    public static string WriteConfig(FakeProxmox pve, string dir, string apiExtra = "", string factsExtra = "", string extra = "")
    {
        var path = Path.Combine(dir, $"guard-{Guid.NewGuid():N}.toml");
        File.WriteAllText(path, $"""
            [api]
            url = "{pve.Url}"
            token_id = "{FakeProxmox.TokenId}"
            token_secret_file = "{pve.TokenFile}"
            ca_file = "{pve.CaCertificatePath}"
            {(apiExtra.Contains("timeout_seconds", StringComparison.Ordinal) ? "" : $"timeout_seconds = {ServerTimeouts.AnswerSeconds}")}
            {apiExtra}

            [facts]
            source = "api"
            cache_file = "{dir}/facts-cache.json"
            {factsExtra}

            {extra}
            """);
        return path;
    }
}

/// <summary>A CLI test class served by one fake Proxmox per test (see <see cref="FakePveFixture"/>).</summary>
public abstract class FakePveTest : IAsyncLifetime
{
    protected FakeProxmox Pve { get; private set; } = null!;

    /// <summary>A private temp folder, removed after the test.</summary>
    protected string Dir { get; private set; } = null!;

    protected virtual string Snapshot => GuardRun.Lab;

    protected virtual PveRelease Release => PveRelease.Latest;

    public async Task InitializeAsync()
    {
        Pve = await FakePveFixture.StartAsync(Snapshot, Release);
        Dir = Directory.CreateTempSubdirectory($"proxclmc-{GetType().Name}-").FullName;
    }

    public async Task DisposeAsync()
    {
        await Pve.DisposeAsync();
        Directory.Delete(Dir, recursive: true);
    }

    protected string WriteConfig(string apiExtra = "", string factsExtra = "", string extra = "") =>
        FakePveFixture.WriteConfig(Pve, Dir, apiExtra, factsExtra, extra);
}
