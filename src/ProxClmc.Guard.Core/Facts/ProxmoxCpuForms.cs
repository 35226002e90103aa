using ProxClmc.Guard.Core.Catalog;

namespace ProxClmc.Guard.Core.Facts;

/// <summary>
/// How Proxmox starts its built-in CPU types in QEMU: kvm64 is QEMU's kvm64 plus <c>+lahf_lm,+sep</c>, and the
/// x86-64-v* levels are qemu64 plus flags (reference/proxmox-facts.md, read from qemu-server 9.2's CPUConfig.pm
/// builtin models). Named models are started under their own name.
/// </summary>
public static class ProxmoxCpuForms
{
    private static readonly string[] V2 = ["+popcnt", "+pni", "+sse4.1", "+sse4.2", "+ssse3"];
    private static readonly string[] V2Aes = [.. V2, "+aes"];
    private static readonly string[] V3 = [.. V2Aes, "+avx", "+avx2", "+bmi1", "+bmi2", "+f16c", "+fma", "+abm", "+movbe", "+xsave"];
    private static readonly string[] V4 = [.. V3, "+avx512f", "+avx512bw", "+avx512cd", "+avx512dq", "+avx512vl"];

    /// <summary>The QEMU model and flags Proxmox passes to <c>-cpu</c> for a catalog model.</summary>
    public static (string Model, IReadOnlyList<string> Flags) QemuFormOf(CpuModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Name switch
        {
            "kvm64" => ("kvm64", ["+lahf_lm", "+sep"]),
            "x86-64-v2" => ("qemu64", V2),
            "x86-64-v2-AES" => ("qemu64", V2Aes),
            "x86-64-v3" => ("qemu64", V3),
            "x86-64-v4" => ("qemu64", V4),
            _ => (model.Name, []),
        };
    }

    /// <summary>The <c>-cpu</c> argument for QEMU (without enforce): "qemu64,+popcnt,+pni,...".</summary>
    public static string CpuArgument(CpuModel model)
    {
        var (name, flags) = QemuFormOf(model);
        return flags.Count == 0 ? name : name + "," + string.Join(',', flags);
    }
}
