using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// The <c>cpuinfo</c> of <c>GET /nodes/{node}/status</c>; <see cref="Flags"/> is the first CPU's flags line (undocumented,
/// present since 2019). <see cref="Vendor"/> (<c>vendor_id</c>) and <see cref="Family"/> (<c>cpu family</c>) come with
/// libpve-common-perl 9.1.6 (pve-common commit d2582a9, 2026-01); <c>model</c> is the model name, no numeric model is given.
/// </summary>
internal sealed record NodeCpuInfo(string? Model, string? Flags, int? Cpus, int? Sockets, int? Cores, string? Vendor = null, int? Family = null)
{
    /// <summary>
    /// The running kernel's release (6.8.12-4-pve): <c>current-kernel.release</c>, else the second word of
    /// <c>kversion</c> ("Linux 6.8.12-4-pve #1 SMP ..."), as pve-manager's node status gives them
    /// (PVE/API2/Nodes.pm status, get_current_kernel_info; commit 14a22df3). Null when neither says.
    /// </summary>
    public string? Kernel { get; init; }

    internal static NodeCpuInfo Parse(JsonElement data)
    {
        ProxmoxJson.RequireObject(data, "node status");
        if (data.Property("cpuinfo") is not { } cpu || cpu.ValueKind != JsonValueKind.Object)
        {
            throw new ProxmoxShapeException("node status has no \"cpuinfo\" object");
        }

        // read_cpuinfo's defaults for a line it did not find are "unknown" and 0: no answer, not a vendor or family.
        var vendor = cpu.GetStringLenient("vendor");
        var family = cpu.GetInt32Lenient("family");
        var release = data.Property("current-kernel") is { ValueKind: JsonValueKind.Object } current ? current.GetStringLenient("release") : null;
        var kversion = data.GetStringLenient("kversion")?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        release ??= kversion is [_, var second, ..] ? second : null;
        return new NodeCpuInfo(
            cpu.GetStringLenient("model"), cpu.GetStringLenient("flags"), cpu.GetInt32Lenient("cpus"), cpu.GetInt32Lenient("sockets"), cpu.GetInt32Lenient("cores"),
            vendor is null or "" or "unknown" ? null : vendor,
            family is null or 0 ? null : family)
        {
            Kernel = release is { Length: > 0 and <= 256 } ? release : null,
        };
    }
}
