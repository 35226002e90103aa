using System.Globalization;
using System.Text;
using System.Text.Json;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Composition;

/// <summary>
/// One scanner per cluster. The timer runs on every node (each publishes its own facts); the cluster-wide scan runs
/// only on the node that holds the cluster lock <c>/etc/pve/priv/lock/proxclmc-guard-scan</c>, and only when no other
/// node has finished one within the last period. Nodes that are not on turn exit 0 quietly.
/// </summary>
/// <remarks>
/// Follows pmxcfs's own lock mechanism as pve-cluster's cfs_lock uses it (github.com/proxmox/pve-cluster,
/// src/PVE/Cluster.pm cfs_lock, src/pmxcfs/cfs-plug-memdb.c utimens, src/pmxcfs/memdb.c CFS_LOCK_TIMEOUT; commit
/// 7091d92e): a lock is a directory under /etc/pve/priv/lock, held by whoever's mkdir succeeds and released with
/// rmdir; a waiter asks for a stale lock to be dropped by setting its mtime to 0 (utime 0, 0), which pmxcfs honours
/// once the lock has existed unchanged for more than 120 seconds. Without /etc/pve/priv/lock (pmxcfs not mounted),
/// the lowest online node id scans: online as /etc/pve/.members says, else every node of corosync.conf.
/// <para>
/// The lock's lifetime follows the same sources. pmxcfs drops a lock on request once it has existed unchanged for
/// more than CFS_LOCK_TIMEOUT (120 s; src/pmxcfs/memdb.c memdb_lock_expired, checked when cfs-plug-memdb.c
/// cfs_plug_memdb_utimens or dcdb.c dcdb_deliver sees the utime-0 request), so a holder that runs longer can lose the
/// lock to another node. Proxmox does not renew its locks: cfs_lock bounds the locked code with alarm(60) ("cfs locks
/// have a timeout of 120, using 60 gives us another 60 seconds to abort") and always rmdirs afterwards. The scan
/// does the same: it is stopped after <see cref="LockBound"/> (60 s), it writes which run holds the lock
/// (<see cref="HolderName"/>: node, a token of its own, time) right after taking it, and at the end it records the
/// scan and removes the lock only if that holder file is still its own, so a scan that outlived its lock never
/// removes the next holder's. A last-scan record naming a node that is not in corosync.conf does not hold the turn.
/// </para>
/// </remarks>
internal static class ClusterScanTurn
{
    public const string LockName = "proxclmc-guard-scan";

    public const string MarkerName = "proxclmc-guard-last-scan";

    /// <summary>Who holds the lock now: "&lt;node&gt; &lt;token&gt; &lt;unix time&gt;", beside the lock (pmxcfs removes a stale lock with rmdir, so the lock folder itself stays empty).</summary>
    public const string HolderName = "proxclmc-guard-scan-holder";

    /// <summary>How long a scan may hold the lock: cfs_lock's alarm(60), half of pmxcfs's 120 s.</summary>
    public static readonly TimeSpan LockBound = TimeSpan.FromSeconds(60);

    private const int MaxMarkerBytes = 4096;

    public static ClusterTurn Take(string pveRoot, string localNode, ClusterMembership membership, TimeSpan period, TimeProvider clock)
    {
        var lockRoot = Path.Combine(pveRoot, "priv", "lock");
        if (!Directory.Exists(lockRoot))
        {
            return LowestOnlineNode(pveRoot, localNode, membership);
        }

        var lockPath = Path.Combine(lockRoot, LockName);
        if (!ExclusiveDirectory.TryCreate(lockPath))
        {
            // Held: ask pmxcfs to drop it if it is stale (older than 120 s), then try once more, as cfs_lock does.
            RequestUnlock(lockPath);
            if (!ExclusiveDirectory.TryCreate(lockPath))
            {
                return new ClusterTurn(false, $"another node holds the cluster scan lock {lockPath}");
            }
        }

        // First of all, say who holds it: the end of the scan checks this before it records or removes anything.
        var holder = Holder.Write(pveRoot, localNode, lockPath, clock);
        var markerPath = Path.Combine(pveRoot, "priv", MarkerName);
        var now = clock.GetUtcNow();
        var last = ReadMarker(markerPath);
        var note = "";
        if (last is { } stranger && membership.Nodes.All(n => n.Name != stranger.Node))
        {
            // Not a node of this cluster (removed, or written by someone else): it cannot have scanned for us.
            note = $"; the last scan record names {stranger.Node}, which is not a node of this cluster, and is ignored";
            last = null;
        }

        if (last is { } recent && recent.Node != localNode && recent.At <= now && now - recent.At < MinimumGap(period))
        {
            holder.Release();
            return new ClusterTurn(false, $"{recent.Node} scanned the cluster {(int)(now - recent.At).TotalMinutes} minutes ago");
        }

        var bound = new CancellationTokenSource(LockBound, clock);
        return new ClusterTurn(true, $"holds the cluster scan lock {lockPath}{note}", answered =>
        {
            try
            {
                if (!holder.StillHeld())
                {
                    return $"the cluster scan lock {lockPath} was taken over by another node while this scan ran (pmxcfs lets another node take a lock older than 120 s); the scan is not recorded and the lock is left to its holder";
                }

                try
                {
                    if (answered)
                    {
                        WriteMarker(markerPath, localNode, clock.GetUtcNow());
                    }
                }
                finally
                {
                    holder.Release();
                }

                return null;
            }
            finally
            {
                bound.Dispose();
            }
        }, bound.Token)
        { Limit = LockBound };
    }

    /// <summary>
    /// Takes the cluster scan lock for a short piece of work (recording the state of a scan not run by the timer):
    /// null when pmxcfs has no lock folder (not a node: nothing to share), a release action when taken, or throws
    /// <see cref="IOException"/> naming the node's lock when another scan holds it for longer than
    /// <paramref name="wait"/>.
    /// </summary>
    public static Action? HoldLock(string pveRoot, TimeSpan wait)
    {
        var lockRoot = Path.Combine(pveRoot, "priv", "lock");
        if (!Directory.Exists(lockRoot))
        {
            return null;
        }

        var lockPath = Path.Combine(lockRoot, LockName);
        var step = TimeSpan.FromMilliseconds(250);
        for (var waited = TimeSpan.Zero; !ExclusiveDirectory.TryCreate(lockPath); waited += step)
        {
            // Held: ask pmxcfs to drop it if it is stale, as cfs_lock does, and wait a little for the holder.
            RequestUnlock(lockPath);
            if (waited >= wait)
            {
                throw new IOException($"another scan holds the cluster lock {lockPath}");
            }

            Thread.Sleep(step);
        }

        var holder = Holder.Write(pveRoot, Environment.MachineName, lockPath, TimeProvider.System);
        return () =>
        {
            if (holder.StillHeld())
            {
                holder.Release();
            }
        };
    }

    /// <summary>The timer fires hourly with up to 10 minutes' random delay: a scan less than period - 10 min ago counts for this period.</summary>
    public static TimeSpan MinimumGap(TimeSpan period) =>
        period > TimeSpan.FromMinutes(20) ? period - TimeSpan.FromMinutes(10) : period / 2;

    private static ClusterTurn LowestOnlineNode(string pveRoot, string localNode, ClusterMembership membership)
    {
        var online = OnlineNodeIds(Path.Combine(pveRoot, ".members"));
        var candidates = membership.Nodes
            .Where(n => n.NodeId is not null && (online is null || online.Contains(n.Name)))
            .OrderBy(n => n.NodeId)
            .ToList();
        if (candidates.Count == 0 || membership.Nodes.All(n => n.Name != localNode))
        {
            // A one-node setup, or this node is not in corosync.conf: no other node would scan for it.
            return new ClusterTurn(true, "no cluster lock and no other node to scan");
        }

        var first = candidates[0].Name;
        return first == localNode
            ? new ClusterTurn(true, $"no cluster lock ({pveRoot}/priv/lock); this node has the lowest online node id")
            : new ClusterTurn(false, $"no cluster lock ({pveRoot}/priv/lock); {first} has the lowest online node id and scans");
    }

    /// <summary>The names of online nodes from pmxcfs's .members, or null when it cannot be read.</summary>
    private static HashSet<string>? OnlineNodeIds(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > 1024 * 1024)
            {
                return null;
            }

            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!document.RootElement.TryGetProperty("nodelist", out var nodes) || nodes.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return nodes.EnumerateObject()
                .Where(n => n.Value.ValueKind == JsonValueKind.Object && n.Value.TryGetProperty("online", out var o) && o.ValueKind == JsonValueKind.Number && o.GetInt32() == 1)
                .Select(n => n.Name)
                .ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    private static void RequestUnlock(string lockPath)
    {
        try
        {
            Directory.SetLastWriteTimeUtc(lockPath, DateTime.UnixEpoch);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone in between, or not ours to touch: the second mkdir decides.
        }
    }

    /// <summary>This run's entry in <see cref="HolderName"/>, written right after the lock was taken.</summary>
    private sealed class Holder
    {
        private readonly string _path;
        private readonly string _lockPath;
        private readonly string _line;

        private Holder(string path, string lockPath, string line)
        {
            _path = path;
            _lockPath = lockPath;
            _line = line;
        }

        public static Holder Write(string pveRoot, string node, string lockPath, TimeProvider clock)
        {
            var path = Path.Combine(pveRoot, "priv", HolderName);
            var line = $"{node} {Guid.NewGuid():N} {clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}\n";
            try
            {
                WriteFile(path, line);
            }
            catch
            {
                ClusterScanTurn.Release(lockPath);
                throw;
            }

            return new Holder(path, lockPath, line);
        }

        /// <summary>The lock is still there and the holder file is still this run's own.</summary>
        public bool StillHeld()
        {
            try
            {
                var info = new FileInfo(_path);
                return Directory.Exists(_lockPath) && info.Exists && info.Length <= MaxMarkerBytes
                    && Encoding.UTF8.GetString(File.ReadAllBytes(_path)) == _line;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }

        public void Release()
        {
            try
            {
                File.Delete(_path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left behind: the next holder overwrites it.
            }

            ClusterScanTurn.Release(_lockPath);
        }
    }

    private static void Release(string lockPath)
    {
        try
        {
            Directory.Delete(lockPath);
        }
        catch (DirectoryNotFoundException)
        {
            // Expired and dropped by pmxcfs while we scanned.
        }
    }

    private static (string Node, DateTimeOffset At)? ReadMarker(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxMarkerBytes)
            {
                return null;
            }

            var parts = Encoding.UTF8.GetString(File.ReadAllBytes(path)).Trim().Split(' ');
            return parts.Length == 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds < 253402300799
                ? (parts[0], DateTimeOffset.FromUnixTimeSeconds(seconds))
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Temporary file and rename (pmxcfs allows both; it refuses chmod to anything but 0600 under priv/).</summary>
    private static void WriteMarker(string path, string node, DateTimeOffset at) =>
        WriteFile(path, $"{node} {at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}\n");

    private static void WriteFile(string path, string text)
    {
        var temporary = path + ".tmp." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}
