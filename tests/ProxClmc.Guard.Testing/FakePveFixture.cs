using ProxClmc.Guard.FakePve;

namespace ProxClmc.Guard.Testing;

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
            SnapshotDir = snapshot ?? RepoPaths.LabCluster,
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
