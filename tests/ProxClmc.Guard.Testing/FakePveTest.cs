using ProxClmc.Guard.FakePve;

namespace ProxClmc.Guard.Testing;

/// <summary>A CLI test class served by one fake Proxmox per test (see <see cref="FakePveFixture"/>).</summary>
public abstract class FakePveTest : IAsyncLifetime
{
    protected FakeProxmox Pve { get; private set; } = null!;

    /// <summary>A private temp folder, removed after the test.</summary>
    protected string Dir { get; private set; } = null!;

    protected virtual string Snapshot => RepoPaths.LabCluster;

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
