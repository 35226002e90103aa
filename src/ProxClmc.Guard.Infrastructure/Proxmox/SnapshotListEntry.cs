using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>One entry of <c>GET .../snapshot</c> ("current" is the running state, not a snapshot).</summary>
public sealed record SnapshotListEntry(string Name, bool VmState, string? Parent)
{
    internal static SnapshotListEntry Parse(JsonElement item) => new(
        item.GetRequiredString("name", "snapshot entry"),
        item.GetBoolLenient("vmstate") ?? false,
        item.GetStringLenient("parent"));

    private static readonly byte[][] Names = ["name"u8.ToArray(), "vmstate"u8.ToArray(), "parent"u8.ToArray()];

    /// <summary>The same as <see cref="Parse"/>, read straight off the reader standing on the entry's <c>{</c>.</summary>
    internal static SnapshotListEntry Read(ref Utf8JsonReader reader)
    {
        Span<Scalar> f = new Scalar[3];
        ProxmoxReader.ReadFields(ref reader, Names, f, "snapshot entry");
        return new(
            f[0].AsString ?? throw new ProxmoxShapeException("snapshot entry has no \"name\""),
            f[1].AsBool ?? false,
            f[2].AsString);
    }
}
