namespace ProxClmc.Guard.Application.Hook;

/// <summary>What the hook decided, and why it is worded the way it is.</summary>
public enum HookAnswer
{
    /// <summary>The guest can run here.</summary>
    Allowed,

    /// <summary>The guest can run here, but loses something (the warnings say what).</summary>
    AllowedWithWarnings,

    /// <summary>A plain start this node cannot run the CPU type of, not blocked (<c>hook.block_unsafe_start = false</c>).</summary>
    UnsafeStartNotBlocked,

    /// <summary>A host/max guest coming from another cluster, allowed by <c>hook.allow_foreign_host_cpu</c>.</summary>
    ForeignHostCpuAllowed,

    /// <summary>Refused: this node cannot run the guest's CPU type.</summary>
    Refused,

    /// <summary>Refused: a host/max guest from another cluster, whose CPU cannot be compared.</summary>
    ForeignHostCpuRefused,

    /// <summary>No answer could be reached (the guest or a node's facts could not be read); <c>hook.fail_closed</c> decides.</summary>
    CouldNotDecide,
}
