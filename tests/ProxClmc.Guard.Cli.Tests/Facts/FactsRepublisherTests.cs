using ProxClmc.Guard.Cli.Tests.Hosting;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Infrastructure.IO;
using Serilog;

namespace ProxClmc.Guard.Cli.Tests.Facts;

/// <summary>
/// The worker republishes this node's facts when they change (here: a kernel upgrade) or grow older than
/// facts.max_age_seconds, and leaves them alone otherwise. Real files in a scratch pve_root; QEMU is not asked.
/// </summary>
public sealed class FactsRepublisherTests : IDisposable
{
    private readonly TempTree _tree = new();
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 12, 2, 1, 0, 0, TimeSpan.Zero));
    private readonly FactsRepublisher _republisher;

    public FactsRepublisherTests()
    {
        Directory.CreateDirectory(_tree.PathOf("pve", "nodes", "pve1"));
        _tree.Write("6.8.12-4-pve\n", "osrelease");
        var paths = new LocalFactsPaths
        {
            CpuInfo = GuardRun.CpuInfo("intel-xeon-e5-2680v3-haswell.txt"),
            KernelRelease = _tree.PathOf("osrelease"),
            MicrocodeVersion = _tree.PathOf("no-microcode"),
        };
        var collector = new NodeFactsCollector(PhysicalFileSystem.Instance, paths, probe: null, _clock);
        _republisher = new FactsRepublisher(collector, PhysicalFileSystem.Instance, _clock, new LoggerConfiguration().CreateLogger());
    }

    public void Dispose() => _tree.Dispose();

    private Task<bool> Run() => _republisher.RepublishIfNeededAsync(_tree.PathOf("pve"), "pve1", TimeSpan.FromHours(1), CancellationToken.None);

    private string Published() => File.ReadAllText(_tree.PathOf("pve", "nodes", "pve1", "proxclmc-guard", "facts.json"));

    [Fact]
    public async Task Publishes_when_missing_changed_or_old_and_not_otherwise()
    {
        Assert.True(await Run());
        Assert.Contains("\"kernel\": \"6.8.12-4-pve\"", Published(), StringComparison.Ordinal);

        _clock.Advance(TimeSpan.FromMinutes(30));
        Assert.False(await Run());
        Assert.Contains("\"collectedAt\": \"2026-12-02T01:00:00Z\"", Published(), StringComparison.Ordinal);

        _tree.Write("6.8.12-5-pve\n", "osrelease");
        Assert.True(await Run());
        Assert.Contains("\"kernel\": \"6.8.12-5-pve\"", Published(), StringComparison.Ordinal);

        _clock.Advance(TimeSpan.FromMinutes(61));
        Assert.True(await Run());
        Assert.Contains("\"collectedAt\": \"2026-12-02T02:31:00Z\"", Published(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_pve_root_does_not_know_is_left_alone()
    {
        var result = await _republisher.RepublishIfNeededAsync(_tree.PathOf("pve"), "pve9", TimeSpan.FromHours(1), CancellationToken.None);

        Assert.False(result);
        Assert.Equal(["pve1"], Directory.EnumerateDirectories(_tree.PathOf("pve", "nodes")).Select(Path.GetFileName));
    }
}
