using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>One model of <c>GET /cluster/qemu/custom-cpu-models</c> (9.1.15+): the keys of its cpu-models.conf section.</summary>
public sealed record CustomCpuModelEntry(string Name, IReadOnlyList<KeyValuePair<string, string>> Properties)
{
    /// <summary>The digest of the whole cpu-models.conf, which Proxmox adds to every entry (for a later PUT).</summary>
    public string? Digest { get; init; }

    internal static CustomCpuModelEntry Parse(JsonElement item)
    {
        var name = item.GetStringLenient("cputype") ?? item.GetRequiredString("name", "custom CPU model entry");
        if (name.StartsWith("custom-", StringComparison.Ordinal))
        {
            name = name["custom-".Length..];
        }

        var properties = new List<KeyValuePair<string, string>>();
        foreach (var property in item.EnumerateObject())
        {
            if (property.Name is "cputype" or "name" or "digest")
            {
                continue;
            }

            if (ProxmoxJson.AsString(property.Value) is { } text)
            {
                properties.Add(new(property.Name, text));
            }
        }

        return new(name, properties) { Digest = item.GetStringLenient("digest") };
    }
}
