namespace ProxClmc.Guard.Application.Ports;

/// <summary>Whether this node runs the scheduled scan, and why (<see cref="IClusterLock.TakeTurn"/>).</summary>
/// <param name="Finish">Called after the scan with whether it reached an answer: records the scan for the period
/// (only then: a node that cannot read the cluster leaves the turn to the others) and releases the lock.</param>
public sealed record ClusterTurn(bool Mine, string Reason, Action<bool>? Finish = null);
