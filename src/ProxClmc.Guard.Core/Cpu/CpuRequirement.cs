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

    /// <summary>
    /// The same requirement in QEMU's terms, for nodes whose facts carry QEMU's answer: the model QEMU is started with
    /// (a Proxmox level is qemu64 or kvm64) and the <c>+flag</c>/<c>-flag</c> list, in QEMU names. Null: no QEMU form.
    /// </summary>
    public string? QemuModel { get; init; }

    public IReadOnlyList<string> QemuFlags { get; init; } = [];

    public static CpuRequirement FromModel(CpuModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (qemuModel, qemuFlags) = Facts.ProxmoxCpuForms.QemuFormOf(model);
        return new()
        {
            Description = model.Name,
            Vendor = model.Vendor,
            Flags = model.RequiredFlags,
            BugsMustBeAbsent = model.BugsMustBeAbsent,
            NotCheckable = model.NotCheckable,
            Model = model,
            QemuModel = qemuModel,
            QemuFlags = qemuFlags,
        };
    }

    /// <summary>Adds the QEMU form of a guest's model plus its <c>+flag</c>/<c>-flag</c> list (VM, custom model or args -cpu).</summary>
    public CpuRequirement WithQemuForm(CpuModel model, IEnumerable<(string Name, bool Enabled)> flags)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(flags);
        var (qemuModel, baseFlags) = Facts.ProxmoxCpuForms.QemuFormOf(model);
        return this with
        {
            QemuModel = qemuModel,
            QemuFlags = [.. baseFlags, .. flags.Where(f => f.Name != "nested-virt").Select(f => (f.Enabled ? "+" : "-") + f.Name)],
        };
    }
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

    /// <summary>True when Proxmox's KVM flag list for the node sharpened the cpuinfo judgement (see <see cref="Facts.KvmFlagList"/>).</summary>
    public bool SharpenedByKvmFlags { get; init; }

    /// <summary>"qemu", "cpuinfo+kvm-flags" or "cpuinfo": which source gave this answer.</summary>
    public string JudgedBy => AnsweredByQemu ? "qemu" : SharpenedByKvmFlags ? "cpuinfo+kvm-flags" : "cpuinfo";

    /// <summary>The node's QEMU does not know the model at all (so it cannot start there, whatever the flags).</summary>
    public bool ModelUnknownToQemu { get; init; }
}
