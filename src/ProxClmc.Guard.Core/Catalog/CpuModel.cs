namespace ProxClmc.Guard.Core.Catalog;

/// <summary>One CPU model Proxmox accepts (QEMU named model, alias, versioned model, or a Proxmox built-in level).</summary>
public sealed record CpuModel
{
    public required string Name { get; init; }

    /// <summary>The versioned model an alias resolves to (Haswell -> Haswell-v1), or null.</summary>
    public string? AliasOf { get; init; }

    /// <summary>GenuineIntel, AuthenticAMD, ... for named models; null for generic models that take the host's vendor.</summary>
    public string? Vendor { get; init; }

    /// <summary>The Proxmox level this model's flags reach (x86-64-v1 is reported as <see cref="CpuLevel.Kvm64"/>).</summary>
    public CpuLevel Level { get; init; }

    /// <summary>/proc/cpuinfo flags a host must show to run the model under KVM with enforce.</summary>
    public required IReadOnlySet<string> RequiredFlags { get; init; }

    public IReadOnlySet<string> BugsMustBeAbsent { get; init; } = new HashSet<string>();

    /// <summary>QEMU features the model needs that /proc/cpuinfo cannot show: support is then "unverified".</summary>
    public IReadOnlyList<string> NotCheckable { get; init; } = [];

    /// <summary>QEMU versions (7.2.22, 10.0.13, 11.1.3) that know this model.</summary>
    public IReadOnlySet<string> QemuVersions { get; init; } = new HashSet<string>();

    /// <summary>kvm64, qemu64, max, host, x86-64-v*: no vendor of its own.</summary>
    public bool IsGeneric => Vendor is null;

    /// <summary>One of Proxmox's built-in level models (kvm64, x86-64-v2, x86-64-v2-AES, x86-64-v3, x86-64-v4).</summary>
    public bool IsLevelModel { get; init; }
}
