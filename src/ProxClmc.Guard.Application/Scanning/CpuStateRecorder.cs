using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.History;

namespace ProxClmc.Guard.Application.Scanning;

/// <summary>
/// Compares a scan with the recorded state and records the new one (DESIGN.md "history"): under the cluster lock
/// (unless the caller holds it already), read, compare, write. A state that cannot be used is one warning naming the
/// file, and the scan goes on as a first scan and writes a fresh one; a state that cannot be written is a warning
/// too. Neither changes the exit code.
/// </summary>
public sealed class CpuStateRecorder(ICpuStateStore store, IClusterLock clusterLock)
{
    /// <summary>How long a scan waits for another node's scan to release the cluster lock before it skips the state.</summary>
    public static readonly TimeSpan LockWait = TimeSpan.FromSeconds(10);

    /// <summary>The changes since the recorded state, or null when this run records no state (--from without --state, a what-if run).</summary>
    public CpuChanges? Record(RunSettings settings, ScanResult result, CpuCatalog catalog, DateTimeOffset now, Action<string> warn, bool holdsLock = false)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(warn);
        if (settings.StateFile is not { Length: > 0 } path || settings.AssumeNodes.Count > 0 || settings.WithoutNodes.Count > 0)
        {
            return null;
        }

        IDisposable? held;
        try
        {
            held = holdsLock ? null : clusterLock.Hold(LockWait);
        }
        catch (IOException e)
        {
            warn($"{path}: state not compared or recorded: {e.Message}");
            return null;
        }

        try
        {
            var clusterName = result.Cluster.Membership.ClusterName;
            var previous = store.Read(path, clusterName);
            if (previous.Problem is { } problem)
            {
                warn($"cluster CPU state not usable, writing a fresh one: {problem}");
            }

            var current = ClusterState.Of(clusterName, result.Cluster.Baseline, result.Report, catalog, now);
            var changes = previous.State is { } state ? CpuChangeDetector.Compare(state, current, result.Report, catalog) : [];
            try
            {
                store.Write(path, CpuChangeDetector.Record(current, previous.State, changes));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                warn($"cluster CPU state not recorded: {(e.Message.Contains(path, StringComparison.Ordinal) ? e.Message : $"{path}: {e.Message}")}");
            }

            return new CpuChanges(path, previous.State?.RecordedAt, changes);
        }
        finally
        {
            held?.Dispose();
        }
    }
}
