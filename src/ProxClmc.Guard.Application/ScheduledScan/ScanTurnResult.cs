using ProxClmc.Guard.Application.Scanning;

namespace ProxClmc.Guard.Application.ScheduledScan;

/// <summary>Whether this node scanned, why, and what it found.</summary>
/// <param name="Mine">This node's turn: it scanned (or was stopped).</param>
public sealed record ScanTurnResult(bool Mine, string Reason)
{
    /// <summary>The scan this node ran; null when it was not its turn or the scan was stopped.</summary>
    public ScanRunResult? Scan { get; init; }

    /// <summary>Set when the scan held the cluster lock as long as the lock allows and was stopped: no answer this turn.</summary>
    public TimeSpan? StoppedAfter { get; init; }
}
