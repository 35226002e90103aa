using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Application.ScheduledScan;

/// <summary>
/// The timer's turn (<c>scan --once-per-cluster</c>) with its outcome as a value: a scan that reached an answer, even
/// "unsafe guests", counts for the period; one that could not determine leaves the turn to the other nodes. Either
/// way the lock is released and the exit code is what <c>scan</c> gives.
/// </summary>
public sealed class ScanTurnTests : IDisposable
{
    private readonly TempTree _pve = new TempTree().CopyFrom(RepoPaths.LabCluster);

    public ScanTurnTests() => Directory.CreateDirectory(_pve.PathOf("priv", "lock"));

    public void Dispose() => _pve.Dispose();

    private string Marker => _pve.PathOf("priv", ClusterScanTurn.MarkerName);

    private string LockDir => _pve.PathOf("priv", "lock", ClusterScanTurn.LockName);

    private string Config(string node)
    {
        var path = _pve.PathOf("proxclmc-guard-" + node + ".toml");
        File.WriteAllText(path, $"""
            [cluster]
            pve_root = "{_pve.Root}"
            corosync_conf = "{_pve.PathOf("corosync.conf")}"
            local_node = "{node}"

            [facts]
            source = "local"
            local_cpuinfo = "{_pve.PathOf("nodes", node, "cpuinfo")}"
            cache_file = "{_pve.PathOf("facts-cache.json")}"
            """);
        return path;
    }

    [Fact]
    public void A_turn_that_could_not_read_the_other_nodes_exits_3_and_is_not_recorded_for_the_period()
    {
        var result = GuardRun.Run("scan", "--config", Config("pve2"), "--once-per-cluster");

        Assert.Equal(3, result.Exit);
        Assert.Contains("proxclmc-guard: could not read", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Marker), "another node may still scan this period");
        Assert.False(Directory.Exists(LockDir), "the lock is released");
    }

    [Fact]
    public void A_turn_that_found_unsafe_guests_exits_2_with_its_line_and_counts_for_the_period()
    {
        var result = GuardRun.Run("scan", "--config", Config("pve2"), "--once-per-cluster", "--allow-partial");

        Assert.Equal(2, result.Exit);
        Assert.Contains("proxclmc-guard: ", result.Error, StringComparison.Ordinal);
        Assert.Contains("not safe to live-migrate everywhere", result.Error, StringComparison.Ordinal);
        Assert.Equal($"pve2 {GuardRun.Now.ToUnixTimeSeconds()}\n", File.ReadAllText(Marker));
        Assert.False(Directory.Exists(LockDir), "the lock is released");

        var next = GuardRun.Run("scan", "--config", Config("pve3"), "--once-per-cluster");
        Assert.Equal((0, ""), (next.Exit, next.Out));
    }
}
