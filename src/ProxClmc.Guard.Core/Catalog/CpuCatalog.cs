using System.Diagnostics.CodeAnalysis;

namespace ProxClmc.Guard.Core.Catalog;

/// <summary>How a QEMU feature name (as written in <c>flags=</c> or <c>-cpu</c>) shows in /proc/cpuinfo.</summary>
/// <param name="QemuName">The QEMU spelling (md-clear, spec-ctrl, sse4.2).</param>
/// <param name="CpuinfoFlags">The cpuinfo flags a host must show (spec-ctrl -> ibrs, ibpb); empty when not checkable.</param>
/// <param name="Checkable">False when /proc/cpuinfo cannot show the feature (support is then unverified).</param>
/// <param name="ProvidedByKvm">True when KVM supplies it whatever the host shows (x2apic, hypervisor, kvm paravirtual bits).</param>
public sealed record QemuFlagMapping(string QemuName, IReadOnlyList<string> CpuinfoFlags, bool Checkable, bool ProvidedByKvm);

/// <summary>
/// The CPU models Proxmox accepts on QEMU 7.2, 10.0 and 11.1, with their host requirements, generated from
/// reference/ by tools/gen-catalog and embedded in this assembly.
/// </summary>
public sealed partial class CpuCatalog
{
    /// <summary>The embedded catalog.</summary>
    public static CpuCatalog Default => throw new NotImplementedException();

    public IReadOnlyList<CpuModel> Models => throw new NotImplementedException();

    /// <summary>kvm64, x86-64-v2, x86-64-v2-AES, x86-64-v3, x86-64-v4, in that order.</summary>
    public IReadOnlyList<CpuModel> LevelModels => throw new NotImplementedException();

    /// <summary>QEMU's qemu64, the fallback for nodes that cannot run kvm64.</summary>
    public CpuModel Qemu64 => throw new NotImplementedException();

    /// <summary>The model for a level (kvm64 ... x86-64-v4, qemu64); null for <see cref="CpuLevel.None"/>.</summary>
    public CpuModel? ModelForLevel(CpuLevel level) => throw new NotImplementedException();

    /// <summary>Finds a model by the name a VM config uses. <c>Icelake-Client(-noTSX)</c> resolves to <c>Icelake-Server(-noTSX)</c> as Proxmox maps it.
    /// <c>host</c> and <c>max</c> are not in the catalog (they are judged by identical-CPU rules).</summary>
    public bool TryGetModel(string name, [NotNullWhen(true)] out CpuModel? model) => throw new NotImplementedException();

    /// <summary>Maps a QEMU feature name to cpuinfo flags; null when the catalog does not know the name.</summary>
    public QemuFlagMapping? MapQemuFlag(string qemuName) => throw new NotImplementedException();

    /// <summary>"kvm64", "x86-64-v2", ..., "qemu64", or "none". Never "x86-64-v1".</summary>
    public static string LevelName(CpuLevel level) => level switch
    {
        CpuLevel.None => "none",
        CpuLevel.Qemu64 => "qemu64",
        CpuLevel.Kvm64 => "kvm64",
        CpuLevel.V2 => "x86-64-v2",
        CpuLevel.V2Aes => "x86-64-v2-AES",
        CpuLevel.V3 => "x86-64-v3",
        CpuLevel.V4 => "x86-64-v4",
        _ => "none",
    };
}
