namespace ProxClmc.Guard.Core.Sources;

/// <summary>The outcome of one config write.</summary>
public enum WriteOutcome
{
    Written,
    DigestMismatch,
    Locked,
    Failed,
}
