using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>One guest of <c>GET /cluster/resources?type=vm</c>. <c>name</c>/<c>template</c> may be missing while statistics are not there yet.</summary>
public sealed record ClusterVmResource(
    string Id, int VmId, string Node, string Type, string? Status, string? Name, bool Template, string? Lock, string? Tags, string? Pool, string? HaState)
{
    internal static ClusterVmResource Parse(JsonElement item)
    {
        var id = item.GetStringLenient("id");
        var vmid = item.GetInt32Lenient("vmid")
            ?? (id is not null && int.TryParse(id[(id.IndexOf('/', StringComparison.Ordinal) + 1)..], out var parsed) ? parsed : (int?)null)
            ?? throw new ProxmoxShapeException($"cluster resource {id ?? "?"} has no \"vmid\"");
        var type = item.GetRequiredString("type", $"cluster resource {vmid}");
        return new(
            id ?? $"{type}/{vmid}",
            vmid,
            item.GetRequiredString("node", $"cluster resource {vmid}"),
            type,
            item.GetStringLenient("status"),
            item.GetStringLenient("name"),
            item.GetBoolLenient("template") ?? false,
            item.GetStringLenient("lock"),
            item.GetStringLenient("tags"),
            item.GetStringLenient("pool"),
            item.GetStringLenient("hastate"));
    }

    private static readonly byte[][] Names =
    [
        "id"u8.ToArray(), "vmid"u8.ToArray(), "type"u8.ToArray(), "node"u8.ToArray(), "status"u8.ToArray(), "name"u8.ToArray(),
        "template"u8.ToArray(), "lock"u8.ToArray(), "tags"u8.ToArray(), "pool"u8.ToArray(), "hastate"u8.ToArray(),
    ];

    /// <summary>The same as <see cref="Parse"/>, read straight off the reader standing on the entry's <c>{</c>.</summary>
    internal static ClusterVmResource Read(ref Utf8JsonReader reader)
    {
        var f = new Scalar[11];
        ProxmoxReader.ReadFields(ref reader, Names, f, "cluster resource");
        var id = f[0].AsString;
        var vmid = f[1].AsInt32
            ?? (id is not null && int.TryParse(id[(id.IndexOf('/', StringComparison.Ordinal) + 1)..], out var parsed) ? parsed : (int?)null)
            ?? throw new ProxmoxShapeException($"cluster resource {id ?? "?"} has no \"vmid\"");
        var type = f[2].AsString ?? throw new ProxmoxShapeException($"cluster resource {vmid} has no \"type\"");
        return new(
            id ?? $"{type}/{vmid}",
            vmid,
            f[3].AsString ?? throw new ProxmoxShapeException($"cluster resource {vmid} has no \"node\""),
            type,
            f[4].AsString,
            f[5].AsString,
            f[6].AsBool ?? false,
            f[7].AsString,
            f[8].AsString,
            f[9].AsString,
            f[10].AsString);
    }
}
