using ProxClmc.Guard.Core.Facts;

namespace ProxClmc.Guard.Core.Cpu;

/// <summary>Where a node's CPU facts came from, shown in the node table's "source" column.</summary>
public enum FactsSource
{
    Local,
    Ssh,
    Api,
    Snapshot,
    Cache,
    Assumed,

    /// <summary>The node's own published facts (nodes/&lt;node&gt;/proxclmc-guard/facts.json in pmxcfs or a snapshot).</summary>
    Published,
}

/// <summary>
/// One node's CPU facts, or why they could not be read. A node that could not be read makes the baseline partial.
/// </summary>
public sealed record NodeFacts
{
    public required string Node { get; init; }

    /// <summary>The address the facts were read from, or the first link address; empty when unknown.</summary>
    public string Address { get; init; } = "";

    public CpuInfo? Cpu { get; init; }

    /// <summary>One line saying why the facts could not be read (set exactly when <see cref="Cpu"/> is null).</summary>
    public string? Error { get; init; }

    public required FactsSource Source { get; init; }

    /// <summary>The node's kernel release (6.8.12-4-pve) where the source tells it (published facts, the API); else null.</summary>
    public string? Kernel { get; init; }

    public DateTimeOffset? CollectedAt { get; init; }

    /// <summary>True when these facts are older "last known" facts standing in for a node that could not be read now.</summary>
    public bool IsStale { get; init; }

    /// <summary>
    /// QEMU's own answer on the node under KVM (each model's unavailable features, the host expansion). When present
    /// it replaces the cpuinfo judgement for the node and makes the answer exact.
    /// </summary>
    public QemuCpuAnswer? Qemu { get; init; }

    /// <summary>
    /// True when <see cref="Qemu"/> came from a document another node could have written (pmxcfs, a snapshot): it may
    /// then refuse a model <see cref="Cpu"/> allows, but never allow one whose flags <see cref="Cpu"/> lacks.
    /// </summary>
    public bool QemuCappedByCpuInfo { get; init; }

    /// <summary>
    /// What Proxmox's cluster-wide KVM flag list says about this node (<c>/cluster/qemu/cpu-flags?accel=kvm</c>, 9.1.15+),
    /// when it was read and names the node. A partial source: it only sharpens the cpuinfo judgement (see
    /// <see cref="KvmFlagList"/>); <see cref="Qemu"/>, when present, replaces both.
    /// </summary>
    public KvmFlagList? KvmFlags { get; init; }

    /// <summary>
    /// Which source judged the node's models: "qemu" when <see cref="Qemu"/> is present, "cpuinfo+kvm-flags" when the
    /// cpuinfo judgement was sharpened by <see cref="KvmFlags"/>, else "cpuinfo".
    /// </summary>
    public string JudgedBy => Qemu is not null ? "qemu" : KvmFlags is not null ? "cpuinfo+kvm-flags" : "cpuinfo";

    public static NodeFacts Readable(string node, CpuInfo cpu, FactsSource source, string address = "", DateTimeOffset? at = null) =>
        new() { Node = node, Cpu = cpu, Source = source, Address = address, CollectedAt = at };

    public static NodeFacts Unreadable(string node, string error, FactsSource source, string address = "") =>
        new() { Node = node, Error = error, Source = source, Address = address };
}
