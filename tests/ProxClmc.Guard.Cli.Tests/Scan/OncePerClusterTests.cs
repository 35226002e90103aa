using ProxClmc.Guard.Cli.Tests.Hosting;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Scan;

/// <summary>
/// One scanner per cluster: every node's timer runs <c>scan --once-per-cluster</c>; only the node holding the
/// cluster lock (a directory under &lt;pve_root&gt;/priv/lock, simulated here in a temporary tree) scans.
/// </summary>
public sealed class OncePerClusterTests : IDisposable
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private readonly TempTree _pve = new TempTree().CopyFrom(RepoPaths.LabCluster);

    public void Dispose() => _pve.Dispose();

    private string LockDir => _pve.PathOf("priv", "lock", ClusterScanTurn.LockName);

    private string Marker => _pve.PathOf("priv", ClusterScanTurn.MarkerName);

    private string Holder => _pve.PathOf("priv", ClusterScanTurn.HolderName);

    private ClusterMembership Lab => CorosyncConfig.Parse(File.ReadAllText(_pve.PathOf("corosync.conf")), "corosync.conf").GetValueOrThrow();

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
    public void The_node_that_takes_the_lock_scans_records_the_scan_and_releases_the_lock()
    {
        Directory.CreateDirectory(_pve.PathOf("priv", "lock"));

        var result = GuardRun.Run("scan", "--config", Config("pve2"), "--once-per-cluster", "--allow-partial");

        Assert.Contains("Cluster CPU type:", result.Out, StringComparison.Ordinal);
        Assert.False(Directory.Exists(LockDir), "the lock is released after the scan");
        Assert.Equal($"pve2 {GuardRun.Now.ToUnixTimeSeconds()}\n", File.ReadAllText(Marker));
    }

    [Fact]
    public void A_node_that_finds_the_lock_held_exits_0_quietly_with_a_debug_line()
    {
        Directory.CreateDirectory(LockDir); // another node is scanning

        var quiet = GuardRun.Run("scan", "--config", Config("pve3"), "--once-per-cluster");
        var verbose = GuardRun.Run("scan", "--config", Config("pve3"), "--once-per-cluster", "-v");

        Assert.Equal((0, "", ""), (quiet.Exit, quiet.Out, quiet.Error));
        Assert.Equal(0, verbose.Exit);
        Assert.Equal("", verbose.Out);
        Assert.Contains($"Not scanning on pve3: another node holds the cluster scan lock {LockDir}", verbose.Error, StringComparison.Ordinal);
        Assert.True(Directory.Exists(LockDir), "someone else's lock is left alone");
        Assert.False(File.Exists(Marker));
    }

    [Fact]
    public void A_scan_by_another_node_within_the_period_counts_for_this_node_too()
    {
        Directory.CreateDirectory(_pve.PathOf("priv", "lock"));
        File.WriteAllText(Marker, $"pve1 {GuardRun.Now.AddMinutes(-20).ToUnixTimeSeconds()}\n");

        var result = GuardRun.Run("scan", "--config", Config("pve4"), "--once-per-cluster", "-v");

        Assert.Equal(0, result.Exit);
        Assert.Equal("", result.Out);
        Assert.Contains("Not scanning on pve4: pve1 scanned the cluster 20 minutes ago", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(LockDir));
    }

    [Fact]
    public void A_scan_older_than_the_period_and_a_garbled_record_do_not_hold_the_turn()
    {
        Directory.CreateDirectory(_pve.PathOf("priv", "lock"));
        var clock = new FixedClock(GuardRun.Now);

        File.WriteAllText(Marker, $"pve1 {GuardRun.Now.AddMinutes(-55).ToUnixTimeSeconds()}\n");
        var turn = ClusterScanTurn.Take(_pve.Root, "pve4", Lab, Hour, clock);
        Assert.True(turn.Mine, turn.Reason);
        turn.Finish!(false); // no answer: the turn is not recorded
        Assert.StartsWith("pve1 ", File.ReadAllText(Marker), StringComparison.Ordinal);
        Assert.False(Directory.Exists(LockDir));

        File.WriteAllText(Marker, "pve1 \u0000garbage 99999999999999999999\n");
        var again = ClusterScanTurn.Take(_pve.Root, "pve4", Lab, Hour, clock);
        Assert.True(again.Mine, again.Reason);
        again.Finish!(true);
        Assert.Equal($"pve4 {GuardRun.Now.ToUnixTimeSeconds()}\n", File.ReadAllText(Marker));
    }

    [Fact]
    public void Without_the_lock_directory_the_lowest_online_node_id_scans()
    {
        // No <pve_root>/priv/lock: pmxcfs is not there. .members says pve1 is offline, so pve2 (id 2) scans.
        File.WriteAllText(_pve.PathOf(".members"), """
            {"nodename": "pve3", "version": 7, "cluster": {"name": "lab", "version": 4, "nodes": 4, "quorate": 1},
             "nodelist": {"pve1": {"id": 1, "online": 0}, "pve2": {"id": 2, "online": 1}, "pve3": {"id": 3, "online": 1}, "pve4": {"id": 4, "online": 1}}}
            """);
        var clock = new FixedClock(GuardRun.Now);

        var pve2 = ClusterScanTurn.Take(_pve.Root, "pve2", Lab, Hour, clock);
        var pve3 = ClusterScanTurn.Take(_pve.Root, "pve3", Lab, Hour, clock);

        Assert.True(pve2.Mine, pve2.Reason);
        Assert.False(pve3.Mine);
        Assert.Contains("pve2 has the lowest online node id and scans", pve3.Reason, StringComparison.Ordinal);

        // Without .members every node of corosync.conf counts: pve1.
        File.Delete(_pve.PathOf(".members"));
        Assert.True(ClusterScanTurn.Take(_pve.Root, "pve1", Lab, Hour, clock).Mine);
        Assert.False(ClusterScanTurn.Take(_pve.Root, "pve2", Lab, Hour, clock).Mine);
    }

    [Fact]
    public void Once_per_cluster_cannot_be_combined_with_from()
    {
        var result = GuardRun.Run("scan", "--from", GuardRun.Lab, "--once-per-cluster");

        Assert.Equal(64, result.Exit);
        Assert.Contains("cannot be combined with --from", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_timer_scan_records_the_clusters_CPU_in_pmxcfs_under_the_lock_and_the_next_turn_reports_what_changed()
    {
        Directory.CreateDirectory(_pve.PathOf("priv", "lock"));
        var textfile = _pve.PathOf("metrics", "proxclmc_guard.prom");
        Directory.CreateDirectory(Path.GetDirectoryName(textfile)!);
        string TimerConfig(string node)
        {
            var path = Config(node);
            File.AppendAllText(path, $"\n[report]\njson_file = \"\"\nprometheus_textfile = \"{textfile}\"\n");
            return path;
        }

        // The other nodes are not readable here (no SSH): the local node's own CPU is compared.
        var first = GuardRun.Run("scan", "--config", TimerConfig("pve2"), "--once-per-cluster", "--write-reports", "--allow-partial");
        var state = _pve.PathOf("proxclmc-guard", "state.json");
        Assert.Equal($"No earlier state to compare with: the cluster's CPU is now recorded in {state}", first.OutLines[^1]);
        Assert.Equal("0600", Infrastructure.IO.Posix.LStat(state)!.Value.OctalPermissions);
        Assert.False(Directory.Exists(LockDir), "the lock is released after the scan");

        // pve2's update hides rdrand; the next hour it scans again.
        var cpuinfo = _pve.PathOf("nodes", "pve2", "cpuinfo");
        File.WriteAllText(cpuinfo, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(cpuinfo), @"^(flags\s*:.*?) rdrand(?= )", "$1", System.Text.RegularExpressions.RegexOptions.Multiline));
        var second = GuardRun.RunAt(GuardRun.Now.AddHours(1), null, "scan", "--config", TimerConfig("pve2"), "--once-per-cluster", "--write-reports", "--allow-partial");

        Assert.Contains("Changes since 2026-11-23 12:00 UTC:", second.OutLines);
        Assert.Contains("  ! pve2 lost rdrand", second.OutLines);
        Assert.Contains("proxclmc_guard_changes{kind=\"node-lost-flags\"} 1\n", File.ReadAllText(textfile), StringComparison.Ordinal);
        Assert.Contains("proxclmc_guard_node_level{node=\"pve2\"} 3\n", File.ReadAllText(textfile), StringComparison.Ordinal);
        Assert.False(Directory.Exists(LockDir), "the lock is released after the scan");
    }

    [Fact]
    public void A_scan_that_outlives_its_lock_leaves_the_next_holders_lock_and_turn_alone()
    {
        Directory.CreateDirectory(_pve.PathOf("priv", "lock"));
        var clock = new ManualTimeProvider(GuardRun.Now);

        var first = ClusterScanTurn.Take(_pve.Root, "pve1", Lab, Hour, clock);
        Assert.True(first.Mine, first.Reason);
        Assert.StartsWith("pve1 ", File.ReadAllText(Holder), StringComparison.Ordinal); // written first, before the scan

        // The scan hangs past pmxcfs's 120 s: pve2 asks for the stale lock, pmxcfs drops it (rmdir), pve2 takes it.
        clock.Advance(TimeSpan.FromSeconds(121));
        Directory.Delete(LockDir);
        var second = ClusterScanTurn.Take(_pve.Root, "pve2", Lab, Hour, clock);
        Assert.True(second.Mine, second.Reason);

        var lost = first.Finish!(true);

        Assert.True(Directory.Exists(LockDir), "the late scan removed the next holder's lock");
        Assert.False(File.Exists(Marker), "a scan that lost its lock recorded its turn");
        Assert.StartsWith("pve2 ", File.ReadAllText(Holder), StringComparison.Ordinal);
        Assert.Contains($"the cluster scan lock {LockDir} was taken over by another node", lost, StringComparison.Ordinal);

        Assert.Null(second.Finish!(true));
        Assert.False(Directory.Exists(LockDir));
        Assert.Equal($"pve2 {GuardRun.Now.AddSeconds(121).ToUnixTimeSeconds()}\n", File.ReadAllText(Marker));
    }

    [Fact]
    public void The_locked_scan_is_bounded_to_60_seconds_as_cfs_lock_bounds_its_own()
    {
        Directory.CreateDirectory(_pve.PathOf("priv", "lock"));
        var clock = new ManualTimeProvider(GuardRun.Now);

        var turn = ClusterScanTurn.Take(_pve.Root, "pve1", Lab, Hour, clock);
        clock.Advance(TimeSpan.FromSeconds(59));
        var within = turn.Bound.IsCancellationRequested;
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.False(within, "stopped before 60 s");
        Assert.True(turn.Bound.IsCancellationRequested, "a scan holding the lock for 60 s goes on");
        Assert.Null(turn.Finish!(false)); // stopped well inside pmxcfs's 120 s: the lock is still its own, and released
        Assert.False(Directory.Exists(LockDir));
        Assert.False(File.Exists(Marker));
    }

    [Fact]
    public void A_last_scan_record_naming_a_node_outside_the_cluster_does_not_stop_scanning()
    {
        Directory.CreateDirectory(_pve.PathOf("priv", "lock"));
        File.WriteAllText(Marker, $"ghost {GuardRun.Now.AddMinutes(-5).ToUnixTimeSeconds()}\n");

        var result = GuardRun.Run("scan", "--config", Config("pve4"), "--once-per-cluster", "--allow-partial", "-v");

        Assert.Contains("Cluster CPU type:", result.Out, StringComparison.Ordinal);
        Assert.Contains("the last scan record names ghost, which is not a node of this cluster, and is ignored", result.Error, StringComparison.Ordinal);
        Assert.Equal($"pve4 {GuardRun.Now.ToUnixTimeSeconds()}\n", File.ReadAllText(Marker));
        Assert.False(Directory.Exists(LockDir));
    }
}
