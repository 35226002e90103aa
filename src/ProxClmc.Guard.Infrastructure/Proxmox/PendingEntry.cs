using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>One entry of <c>GET .../pending</c>: the current value, the value waiting for the next cold start, or a pending delete.</summary>
public sealed record PendingEntry(string Key, string? Value, string? Pending, bool Delete)
{
    internal static PendingEntry Parse(JsonElement item) => new(
        item.GetRequiredString("key", "pending entry"),
        item.GetStringLenient("value"),
        item.GetStringLenient("pending"),
        (item.GetInt64Lenient("delete") ?? 0) != 0);

    private static readonly byte[][] Names = ["key"u8.ToArray(), "value"u8.ToArray(), "pending"u8.ToArray(), "delete"u8.ToArray()];

    /// <summary>The same as <see cref="Parse"/>, read straight off the reader standing on the entry's <c>{</c>.</summary>
    internal static PendingEntry Read(ref Utf8JsonReader reader)
    {
        Span<Scalar> f = new Scalar[4];
        ProxmoxReader.ReadFields(ref reader, Names, f, "pending entry");
        return new(
            f[0].AsString ?? throw new ProxmoxShapeException("pending entry has no \"key\""),
            f[1].AsString,
            f[2].AsString,
            (f[3].AsInt64 ?? 0) != 0);
    }
}
