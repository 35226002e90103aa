using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.Guests;

public enum GuestType
{
    Qemu,
    Lxc,
}

/// <summary>A snapshot of a VM: its own <c>cpu</c>, and for RAM snapshots the exact <c>runningcpu</c> rollback will use.</summary>
public sealed record GuestSnapshot(string Name, string? Cpu, string? RunningCpu, bool HasVmState);

/// <summary>
/// Everything the compliance rules need to know about one guest, whichever source it came from
/// (Proxmox API, the /etc/pve tree, an offline snapshot).
/// </summary>
public sealed record GuestConfig
{
    public required int VmId { get; init; }

    public required string Node { get; init; }

    public string? Name { get; init; }

    public GuestType Type { get; init; } = GuestType.Qemu;

    /// <summary>"running", "stopped", "paused", ... or null when the source cannot tell (offline snapshot).</summary>
    public string? Status { get; init; }

    public bool Template { get; init; }

    /// <summary>The <c>lock</c> value (backup, migrate, suspended, ...), or null.</summary>
    public string? Lock { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The current <c>cpu</c> property string as written in the config, or null for none (kvm64).</summary>
    public string? Cpu { get; init; }

    /// <summary>A <c>cpu</c> value waiting in [PENDING] for the next cold start.</summary>
    public string? PendingCpu { get; init; }

    /// <summary>[PENDING] deletes <c>cpu</c> (back to kvm64 at the next cold start).</summary>
    public bool PendingCpuDelete { get; init; }

    /// <summary><c>runningcpu</c> of the main section: a hibernated VM resumes with exactly this QEMU <c>-cpu</c>.</summary>
    public string? RunningCpu { get; init; }

    public IReadOnlyList<GuestSnapshot> Snapshots { get; init; } = [];

    /// <summary>The raw <c>args</c> line, which may hold a <c>-cpu</c> that overrides <c>cpu</c>.</summary>
    public string? Args { get; init; }

    /// <summary>The <c>kvm</c> option; null means the default (1). 0 means pure emulation, no host CPU requirement.</summary>
    public bool? Kvm { get; init; }

    public string? Hookscript { get; init; }

    /// <summary>The <c>ostype</c> option (l26, win11, solaris, ...): Proxmox changes the CPU for some of them.</summary>
    public string? OsType { get; init; }

    /// <summary>The <c>arch</c> option (x86_64 or aarch64); null means the node's own architecture.</summary>
    public string? Arch { get; init; }

    /// <summary>The <c>machine</c> option (q35, pc-q35-11.0+pve2, ...), or null for the newest machine type.</summary>
    public string? Machine { get; init; }

    /// <summary>The file line of the <c>cpu</c> key (0 when unknown, e.g. through the API), for messages.</summary>
    public int CpuLine { get; init; }

    /// <summary>Lines Proxmox ignores with a warning (no <c>key: value</c>, binary garbage, bad booleans, unknown sections).</summary>
    public IReadOnlyList<ParseError> IgnoredLines { get; init; } = [];

    /// <summary>SHA-1 of the raw config file, as Proxmox reports it; writes pass it back.</summary>
    public string? Digest { get; init; }

    /// <summary>Where the config came from (a path, or an API path) for messages.</summary>
    public string? Origin { get; init; }

    /// <summary>Set when the config could not be parsed: the guest is listed with this error and judged unknown.</summary>
    public ParseError? ConfigError { get; init; }

    /// <summary>
    /// Set when the config was not read at all because the node holding it is down or unreachable: the guest is
    /// listed (with its last known node) as <c>unverified</c> with this reason and the note <c>not-read</c>.
    /// </summary>
    public string? NotReadReason { get; init; }

    public bool IsRunning => string.Equals(Status, "running", StringComparison.Ordinal);
}
