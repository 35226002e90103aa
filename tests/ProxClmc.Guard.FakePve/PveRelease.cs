namespace ProxClmc.Guard.FakePve;

/// <summary>
/// What one Proxmox VE release answers: which endpoints exist (the others answer 501, as pve-http-server does for
/// an unknown method) and which fields they carry. Each switch is read from Proxmox's own history:
/// <list type="bullet">
/// <item>pve-manager commits db32d51e and 6ed37d55 (2026-05-17, first in debian/changelog 9.1.15; pve-manager
/// 14a22df3): <c>GET /cluster/qemu/custom-cpu-models</c> and <c>GET /cluster/qemu/cpu-flags</c>. The first lists only
/// models the caller has Mapping.Audit, Mapping.Use or Mapping.Modify on <c>/mapping/cpu/&lt;name&gt;</c>, silently.</item>
/// <item>pve-common d2582a9 (2026-01-20, first in libpve-common-perl 9.1.6): <c>cpuinfo.vendor</c> and
/// <c>cpuinfo.family</c> in <c>/nodes/{node}/status</c> (no numeric model: <c>cpuinfo.model</c> stays the model name).
/// A 9.1.14 system is newer than that library; 9.0 is older.</item>
/// <item>pve-manager 05d5446d (2021, first in 7.0-2): <c>/nodes/{node}/capabilities/qemu/cpu</c>, present in every
/// profile here. Custom models in it: before qemu-server 229a32ed (2026-05-18, after 9.1.12) only with Sys.Audit on
/// <c>/nodes</c>; from then also with a Mapping privilege on the model.</item>
/// <item><c>/access/permissions</c> exists since 6.2: in every profile here.</item>
/// </list>
/// </summary>
public sealed record PveRelease
{
    private PveRelease(string name, Version number, string version)
    {
        Name = name;
        Number = number;
        VersionString = version;
    }

    /// <summary>The profiles <c>--pve-version</c> accepts, oldest first.</summary>
    public static IReadOnlyList<PveRelease> All { get; } =
    [
        new("7.4", new Version(7, 4, 19), "7.4-19"),
        new("8.4", new Version(8, 4, 1), "8.4.1"),
        new("9.0", new Version(9, 0, 11), "9.0.11"),
        new("9.1.14", new Version(9, 1, 14), "9.1.14"),
        new("9.1.15", new Version(9, 1, 15), "9.1.15"),
        new("9.2", new Version(9, 2, 11), "9.2.11"),
    ];

    public static PveRelease Latest => All[^1];

    /// <summary>"7.4", "8.4", "9.0", "9.1.14", "9.1.15" or "9.2".</summary>
    public string Name { get; }

    public Version Number { get; }

    /// <summary>What <c>GET /version</c> answers as <c>version</c>.</summary>
    public string VersionString { get; }

    public string Release => $"{Number.Major}.{Number.Minor}";

    public bool HasClusterQemuEndpoints => Number >= new Version(9, 1, 15);

    public bool HasCpuVendorFamily => Number >= new Version(9, 1, 14);

    /// <summary>qemu-server after 9.1.12: custom models in capabilities/qemu/cpu also for a Mapping privilege.</summary>
    public bool CapabilitiesHonourMappingPrivileges => Number >= new Version(9, 1, 14);

    public static PveRelease Parse(string name) =>
        All.FirstOrDefault(r => r.Name == name) ??
        throw new ArgumentException($"--pve-version: unknown release {name} (one of {string.Join(", ", All.Select(r => r.Name))})");

    public override string ToString() => Name;
}
