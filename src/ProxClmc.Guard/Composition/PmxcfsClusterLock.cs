using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Cluster;

namespace ProxClmc.Guard.Composition;

/// <summary>The cluster-lock port over pmxcfs's lock folder (<see cref="ClusterScanTurn"/>).</summary>
internal sealed class PmxcfsClusterLock(string pveRoot, TimeProvider clock) : IClusterLock
{
    public ClusterTurn TakeTurn(string localNode, ClusterMembership membership, TimeSpan period) =>
        ClusterScanTurn.Take(pveRoot, localNode, membership, period, clock);

    public IDisposable? Hold(TimeSpan wait) => ClusterScanTurn.HoldLock(pveRoot, wait) is { } release ? new HeldLock(release) : null;

    private sealed class HeldLock(Action release) : IDisposable
    {
        private Action? _release = release;

        public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
    }
}
