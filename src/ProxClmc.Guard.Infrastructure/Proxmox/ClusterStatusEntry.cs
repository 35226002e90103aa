using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>One entry of <c>GET /cluster/status</c>: the cluster itself (<see cref="Type"/> "cluster") or a node.</summary>
internal sealed record ClusterStatusEntry(string Type, string Name, int? NodeId, string? Ip, bool Online, bool Local, bool? Quorate)
{
    public bool IsNode => Type == "node";

    internal static ClusterStatusEntry Parse(JsonElement item) => new(
        item.GetRequiredString("type", "cluster status entry"),
        item.GetRequiredString("name", "cluster status entry"),
        item.GetInt32Lenient("nodeid"),
        item.GetStringLenient("ip"),
        item.GetBoolLenient("online") ?? false,
        item.GetBoolLenient("local") ?? false,
        item.GetBoolLenient("quorate"));

    private static readonly byte[][] Names = ["type"u8.ToArray(), "name"u8.ToArray(), "nodeid"u8.ToArray(), "ip"u8.ToArray(), "online"u8.ToArray(), "local"u8.ToArray(), "quorate"u8.ToArray()];

    /// <summary>The same as <see cref="Parse"/>, read straight off the reader standing on the entry's <c>{</c>.</summary>
    internal static ClusterStatusEntry Read(ref Utf8JsonReader reader)
    {
        const string what = "cluster status entry";
        Span<Scalar> f = new Scalar[7];
        ProxmoxReader.ReadFields(ref reader, Names, f, what);
        return new(
            f[0].AsString ?? throw new ProxmoxShapeException($"{what} has no \"type\""),
            f[1].AsString ?? throw new ProxmoxShapeException($"{what} has no \"name\""),
            f[2].AsInt32,
            f[3].AsString,
            f[4].AsBool ?? false,
            f[5].AsBool ?? false,
            f[6].AsBool);
    }
}
