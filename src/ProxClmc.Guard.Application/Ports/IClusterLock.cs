using ProxClmc.Guard.Core.Cluster;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>
/// The cluster-wide lock one scanner per cluster takes (pmxcfs's lock folder on a node; the lowest online node id
/// without one). How the lock is kept is the adapter's; the use cases only ask for a turn or hold it briefly.
/// </summary>
public interface IClusterLock
{
    /// <summary>Whether this node runs the scheduled scan of this period, and why.</summary>
    ClusterTurn TakeTurn(string localNode, ClusterMembership membership, TimeSpan period);

    /// <summary>
    /// Holds the lock for a short piece of work: null when there is no lock to share (not a node), a handle that
    /// releases it when disposed, or <see cref="IOException"/> when another scan holds it longer than <paramref name="wait"/>.
    /// </summary>
    IDisposable? Hold(TimeSpan wait);
}
