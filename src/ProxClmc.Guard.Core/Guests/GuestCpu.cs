using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.Guests;

/// <summary>A <c>+name</c> or <c>-name</c> in <c>flags=</c> (QEMU spelling).</summary>
public sealed record GuestCpuFlag(bool Enabled, string Name)
{
    public override string ToString() => (Enabled ? "+" : "-") + Name;
}

/// <summary>
/// The <c>cpu</c> option of a VM: <c>[[cputype=]&lt;model&gt;][,flags=...][,hidden=..][,hv-vendor-id=..][,phys-bits=..][,guest-phys-bits=..][,level=..]</c>.
/// Unknown keys are kept verbatim; formatting an unchanged value gives back the original bytes.
/// </summary>
public sealed record GuestCpu
{
    /// <summary>The cputype, or null when the string names none (Proxmox then uses kvm64).</summary>
    public string? CpuType { get; init; }

    public IReadOnlyList<GuestCpuFlag> Flags { get; init; } = [];

    public bool? Hidden { get; init; }

    public string? HvVendorId { get; init; }

    /// <summary>"host" or a number of bits.</summary>
    public string? PhysBits { get; init; }

    public int? GuestPhysBits { get; init; }

    public int? Level { get; init; }

    public static ParseResult<GuestCpu> Parse(string value, string source = "cpu") => throw new NotImplementedException();

    /// <summary>The property string; byte-identical to the parsed input when nothing was changed.</summary>
    public string Format() => throw new NotImplementedException();

    public override string ToString() => Format();
}
