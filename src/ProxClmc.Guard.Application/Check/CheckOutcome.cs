namespace ProxClmc.Guard.Application.Check;

/// <summary>What a check concluded over the nodes that count (the whole answer; the command maps it to an exit code).</summary>
public enum CheckOutcome
{
    /// <summary>It can run on every node that counts.</summary>
    CanRun,

    /// <summary>It can run, but a node that can run it carries a warning.</summary>
    CanRunWithWarnings,

    /// <summary>It probably runs on a node, but that cannot be verified.</summary>
    Unverified,

    /// <summary>A node that counts cannot run it.</summary>
    Refused,

    /// <summary>For a node that counts, it cannot be told (facts missing).</summary>
    Unknown,
}
