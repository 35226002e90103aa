namespace ProxClmc.Guard.Application.Snapshot;

/// <summary>Whether a written snapshot holds everything: every node's cpuinfo and every guest.</summary>
public enum SnapshotOutcome
{
    /// <summary>Every node and every guest was read.</summary>
    Complete,

    /// <summary>Something could not be read, and the request accepts a partial snapshot (<c>--allow-partial</c>).</summary>
    Partial,

    /// <summary>Something could not be read, and the request wants a whole one.</summary>
    Incomplete,
}
