namespace ProxClmc.Guard.Core.Cpu;

/// <summary>
/// What one node's <c>/proc/cpuinfo</c> (or the Proxmox API's node status) says about its CPU.
/// Flags are the ones every processor shares; <see cref="FlagsNotOnAllProcessors"/> lists the rest
/// (hybrid CPUs, or hypervisors that mask vCPUs differently).
/// </summary>
public sealed record CpuInfo
{
    /// <summary>Kernel architecture as far as cpuinfo shows it: "x86_64", or "i686" for a 32-bit kernel on an x86 CPU.</summary>
    public required string Architecture { get; init; }

    /// <summary>The <c>vendor_id</c>: GenuineIntel, AuthenticAMD, HygonGenuine, CentaurHauls, ... (empty when unknown, e.g. API facts).</summary>
    public required string VendorId { get; init; }

    public int? Family { get; init; }

    public int? Model { get; init; }

    public int? Stepping { get; init; }

    public required string ModelName { get; init; }

    /// <summary>Flags shown by every processor, in the kernel's spelling (sse4_2, pni, ...).</summary>
    public required IReadOnlySet<string> Flags { get; init; }

    /// <summary>The <c>bugs</c> line (spectre_v1, ...): some models require certain bugs to be absent.</summary>
    public IReadOnlySet<string> Bugs { get; init; } = new HashSet<string>();

    /// <summary>From <c>address sizes : 46 bits physical</c>; null when not shown.</summary>
    public int? PhysicalAddressBits { get; init; }

    /// <summary>The <c>microcode</c> revision of the first processor (0x718); null when cpuinfo does not show it (API facts).</summary>
    public string? Microcode { get; init; }

    public int ProcessorCount { get; init; } = 1;

    /// <summary>Flags some processors show and others do not; empty for a uniform CPU.</summary>
    public IReadOnlyList<string> FlagsNotOnAllProcessors { get; init; } = [];

    /// <summary>
    /// What the reader should know about how these facts were read, in plain words: a file that looks cut off,
    /// a processor block that was left out. Empty for a complete, ordinary file.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>True when the kernel is 32-bit (no 64-bit guests with KVM on such a host).</summary>
    public bool Is32BitKernel => Architecture != "x86_64";
}
