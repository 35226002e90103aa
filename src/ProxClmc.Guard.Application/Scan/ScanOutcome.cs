namespace ProxClmc.Guard.Application.Scan;

/// <summary>
/// What a scan (or <c>baseline</c>) concluded, as a value: the command maps it to its exit code (README "Exit codes").
/// For <c>baseline</c>, <see cref="Unsafe"/> means nodes below the pinned baseline.
/// </summary>
public enum ScanOutcome
{
    /// <summary>Every guest is safe to live-migrate to every node.</summary>
    AllSafe,

    /// <summary>Warnings only: guests with warnings, a partial answer allowed by <c>--allow-partial</c>, or a CPU change since the recorded state.</summary>
    Warnings,

    /// <summary>At least one guest is not safe to live-migrate everywhere.</summary>
    Unsafe,

    /// <summary>Nodes or guests could not be read, so the answer is incomplete.</summary>
    CouldNotDetermine,
}
