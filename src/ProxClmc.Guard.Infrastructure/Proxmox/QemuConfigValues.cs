using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>A VM config as the API returns it: keys to their values as written in the file, plus <c>digest</c>.</summary>
public sealed record QemuConfigValues(IReadOnlyDictionary<string, string> Values, string? Digest)
{
    public string? Get(string key) => Values.TryGetValue(key, out var v) ? v : null;

    internal static QemuConfigValues Parse(JsonElement data)
    {
        ProxmoxJson.RequireObject(data, "VM config");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in data.EnumerateObject())
        {
            if (ProxmoxJson.AsString(property.Value) is { } text)
            {
                values[property.Name] = text;
            }
        }

        values.Remove("digest", out var digest);
        return new(values, digest);
    }

    /// <summary>The same as <see cref="Parse"/>, read straight off the reader standing on the answer's data.</summary>
    internal static QemuConfigValues Read(ref Utf8JsonReader reader)
    {
        ProxmoxReader.RequireObject(ref reader, "VM config");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        ProxmoxReader.ReadStrings(ref reader, "VM config", (name, text) => values[name] = text);
        values.Remove("digest", out var digest);
        return new(values, digest);
    }
}
