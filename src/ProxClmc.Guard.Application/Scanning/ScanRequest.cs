namespace ProxClmc.Guard.Application.Scanning;

/// <summary>One <c>scan</c>: which guests to show, which state to compare with and record, and whether to write the report files.</summary>
/// <param name="Filter">The <c>--vmid</c>, <c>--node</c> and <c>--tag</c> filters (the state records the whole cluster whatever they show).</param>
public sealed record ScanRequest(ScanFilter Filter)
{
    /// <summary>The state file to compare with and record; null: none.</summary>
    public string? StateFile { get; init; }

    /// <summary>Also replace the <c>[report]</c> files (<c>--write-reports</c>, the daemon).</summary>
    public bool WriteReports { get; init; }

    /// <summary>The caller holds the cluster scan lock already (the timer's turn): recording the state does not take it again.</summary>
    public bool HoldsLock { get; init; }
}
