using ProxClmc.Guard.Core.Catalog;

namespace ProxClmc.Guard.Core.Cpu;

/// <summary>What a guest's CPU type asks of a host: cpuinfo flags, bugs that must be absent, a vendor, and unverifiable features.</summary>
public sealed record CpuRequirement
{
    /// <summary>The model (and flags) this requirement was derived from, for messages.</summary>
    public required string Description { get; init; }

    /// <summary>Required vendor_id for named models; null for generic ones.</summary>
    public string? Vendor { get; init; }

    public required IReadOnlySet<string> Flags { get; init; }

    public IReadOnlySet<string> BugsMustBeAbsent { get; init; } = new HashSet<string>();

    /// <summary>Features /proc/cpuinfo cannot show (QEMU names).</summary>
    public IReadOnlyList<string> NotCheckable { get; init; } = [];

    /// <summary>The catalog model behind this requirement, when there is one (for QEMU's exact per-model answer).</summary>
    public CpuModel? Model { get; init; }

    public static CpuRequirement FromModel(CpuModel model) => new()
    {
        Description = model.Name,
        Vendor = model.Vendor,
        Flags = model.RequiredFlags,
        BugsMustBeAbsent = model.BugsMustBeAbsent,
        NotCheckable = model.NotCheckable,
        Model = model,
    };
}

public enum SupportState
{
    Supported,
    SupportedUnverified,
    Unsupported,
}

/// <summary>Can one node run one requirement, and if not, why.</summary>
public sealed record SupportCheck(
    SupportState State,
    IReadOnlyList<string> MissingFlags,
    IReadOnlyList<string> PresentBugs,
    bool VendorMismatch,
    IReadOnlyList<string> Unverified)
{
    public bool CanRun => State != SupportState.Unsupported;

    /// <summary>Why it cannot run when the lists above do not say it: unreadable facts, a 32-bit kernel.</summary>
    public string? Reason { get; init; }

    /// <summary>True when QEMU itself answered (query-cpu-definitions on the node) instead of a /proc/cpuinfo judgement.</summary>
    public bool AnsweredByQemu { get; init; }
}
