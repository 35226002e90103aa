namespace ProxClmc.Guard.Application.Placement;

/// <summary>What writing one rule or group of a placement plan did.</summary>
public enum PlacementOutcome
{
    /// <summary>The rule or group was created.</summary>
    Applied,

    /// <summary>The HA configuration changed since the plan: not written, and nothing after it.</summary>
    Conflict,

    /// <summary>The write failed: the run stops here.</summary>
    Failed,

    /// <summary>Not tried because an earlier write was refused or failed.</summary>
    NotAttempted,
}
