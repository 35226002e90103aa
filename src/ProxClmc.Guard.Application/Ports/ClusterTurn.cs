namespace ProxClmc.Guard.Application.Ports;

/// <summary>Whether this node runs the scheduled scan, and why (<see cref="IClusterLock.TakeTurn"/>).</summary>
/// <param name="Finish">Called after the scan with whether it reached an answer: records the scan for the period
/// (only then: a node that cannot read the cluster leaves the turn to the others) and releases the lock if it is
/// still this run's. Returns why it was not (another node took it over), or null.</param>
/// <param name="Bound">Cancelled when the scan has held the lock as long as the adapter allows (<see cref="Limit"/>).</param>
public sealed record ClusterTurn(bool Mine, string Reason, Func<bool, string?>? Finish = null, CancellationToken Bound = default)
{
    /// <summary>How long a scan may hold the lock before <see cref="Bound"/> stops it.</summary>
    public TimeSpan Limit { get; init; }
}
