namespace ProxClmc.Guard.Application.Hook;

/// <summary>The hook's answer for one start, with everything the message and the journal entry say.</summary>
public sealed record HookDecisionResult(HookAnswer Answer, string What, string Reason)
{
    /// <summary>True for the answers that refuse the start.</summary>
    public bool IsRefused => Answer is HookAnswer.Refused or HookAnswer.ForeignHostCpuRefused;

    /// <summary>What the guest cannot do here although it is allowed (<see cref="HookAnswer.AllowedWithWarnings"/>).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>
    /// The strict HA rule this node is outside of, as a remark to the refusal ("; pve2 is also outside ..."), or "".
    /// </summary>
    public string HaNote { get; init; } = "";

    /// <summary>The verdict's name, for the journal entry.</summary>
    public string Verdict { get; init; } = "";

    /// <summary>The guest's cpu value as configured (kvm64 when unset), for the journal entry.</summary>
    public string Cpu { get; init; } = "kvm64";

    /// <summary>Things worth a debug line that change nothing (the HA files could not be read).</summary>
    public IReadOnlyList<string> Diagnostics { get; init; } = [];
}
