using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Core.Compliance;

/// <summary>
/// An extra remark on a verdict. <see cref="IsWarning"/> notes make a run exit 1 even when the verdict is ok
/// (for example phys-bits=host across nodes of different widths).
/// </summary>
public sealed record GuestNote(string Code, string Text, bool IsWarning = false)
{
    public const string ArgsOverride = "args-override";
    public const string PendingChange = "pending-change";
    public const string SnapshotCpu = "snapshot-cpu";
    public const string SnapshotRunningCpu = "snapshot-runningcpu";
    public const string Suspended = "suspended";
    public const string PhysBitsHost = "phys-bits-host";
    public const string Template = "template";
    public const string VendorMix = "vendor-mix";
    public const string CustomModel = "custom-model";
    public const string Locked = "locked";
    public const string IdenticalCpus = "identical-cpus";
    public const string UncheckedNodes = "unchecked-nodes";
    public const string QemuVersion = "qemu-version";
    public const string Ignored = "ignored";
    public const string HaRule = "ha-rule";
    public const string HaRecovery = "ha-recovery";
    public const string HaRuleIgnored = "ha-rule-ignored";
    public const string CpuDropped = "cpu-dropped";
    public const string ConfigIgnoredLines = "config-ignored-lines";
    public const string DuplicateVmId = "duplicate-vmid";
    public const string NotRead = "not-read";
    public const string CustomModelUnverified = "custom-model-unverified";
}

/// <summary>Whether one node can run the guest's CPU type, and if not, why.</summary>
public sealed record NodeFit(
    string Node,
    bool? CanRun,
    IReadOnlyList<string> MissingFlags,
    bool VendorMismatch,
    IReadOnlyList<string> Unverified,
    string Reason)
{
    /// <summary>False only when the node is known to be unable to run the guest.</summary>
    public bool IsRefused => CanRun == false;

    /// <summary>The reason with every flag named (check -v and JSON); <see cref="Reason"/> names the first few.</summary>
    public string? WholeReason { get; init; }

    /// <summary>Which source judged this node: "qemu" (the node's QEMU answer under KVM) or "cpuinfo"; null when not judged.</summary>
    public string? JudgedBy { get; init; }

    /// <summary>The node's QEMU (from its published facts) does not know the guest's model.</summary>
    public bool ModelUnknownToQemu { get; init; }
}

/// <summary>The judgement on one guest: the verdict, one line saying why, notes, and the per-node answers.</summary>
public sealed record GuestVerdict
{
    public required GuestConfig Guest { get; init; }

    public required Verdict Verdict { get; init; }

    /// <summary>The CPU setting as judged: the <c>cpu</c> value, "kvm64 (default)", or the <c>args: -cpu</c> spec.</summary>
    public required string Cpu { get; init; }

    /// <summary>One line: which nodes lack which flags, or why the verdict is what it is.</summary>
    public required string Reason { get; init; }

    public IReadOnlyList<GuestNote> Notes { get; init; } = [];

    /// <summary>Per node: can it run this guest. Empty for guests that have no host CPU requirement.</summary>
    public IReadOnlyList<NodeFit> Fits { get; init; } = [];

    /// <summary>For <see cref="Verdict.Ignored"/>: what the verdict would have been.</summary>
    public Verdict? IgnoredVerdict { get; init; }

    /// <summary>For HA guests: the rule that places it and the nodes the HA manager may use; null for other guests.</summary>
    public Ha.GuestPlacement? Placement { get; init; }

    public bool HasWarningNote => Notes.Any(n => n.IsWarning);
}
