using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>One model of <c>GET /nodes/{node}/capabilities/qemu/cpu</c> (answered for the node you are connected to).</summary>
internal sealed record QemuCpuModelEntry(string Name, string? Vendor, bool Custom)
{
    internal static QemuCpuModelEntry Parse(JsonElement item) => new(
        item.GetRequiredString("name", "CPU model entry"), item.GetStringLenient("vendor"), item.GetBoolLenient("custom") ?? false);
}
