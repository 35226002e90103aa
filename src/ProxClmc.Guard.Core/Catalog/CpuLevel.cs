namespace ProxClmc.Guard.Core.Catalog;

/// <summary>
/// Proxmox VE's generic CPU levels in order. There is no x86-64-v1 model in Proxmox: the lowest level is kvm64.
/// <see cref="Qemu64"/> and <see cref="None"/> exist for nodes that cannot even run kvm64.
/// </summary>
public enum CpuLevel
{
    None = 0,
    Qemu64 = 1,
    Kvm64 = 2,
    V2 = 3,
    V2Aes = 4,
    V3 = 5,
    V4 = 6,
}
