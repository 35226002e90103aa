namespace ProxClmc.Guard.Application.Evacuate;

/// <summary>What an evacuation check concluded (the command maps it to an exit code).</summary>
public enum EvacuateOutcome
{
    /// <summary>Every checked VM has at least one safe target, and HA maintenance mode moves its guests safely.</summary>
    Safe,

    /// <summary>A VM has no node it can safely go to.</summary>
    Stranded,

    /// <summary>Every VM has a target, but HA maintenance mode would move an HA guest to a node that cannot run it (or to none).</summary>
    HaUnsafe,

    /// <summary>For a VM with no known safe target, a candidate's facts are missing.</summary>
    Unknown,
}
