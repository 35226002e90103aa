using System.Globalization;
using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// Lenient readers for Proxmox's JSON. The API is generated from Perl schemas: booleans arrive as 0/1 (and from
/// some endpoints as "0"/"1" strings), integers sometimes as strings, and optional fields are simply missing.
/// </summary>
internal static class ProxmoxJson
{
    public static JsonElement? Property(this JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    public static string? GetStringLenient(this JsonElement obj, string name) => obj.Property(name) is { } v ? AsString(v) : null;

    public static string GetRequiredString(this JsonElement obj, string name, string what) =>
        obj.GetStringLenient(name) ?? throw new ProxmoxShapeException($"{what} has no \"{name}\"");

    public static long? GetInt64Lenient(this JsonElement obj, string name)
    {
        if (obj.Property(name) is not { } v)
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetInt64(out var n) => n,
            JsonValueKind.Number when v.TryGetDouble(out var d) && d is >= long.MinValue and <= long.MaxValue => (long)d,
            JsonValueKind.String when long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
            _ => null,
        };
    }

    public static int? GetInt32Lenient(this JsonElement obj, string name) =>
        obj.GetInt64Lenient(name) is { } n && n is >= int.MinValue and <= int.MaxValue ? (int)n : null;

    public static bool? GetBoolLenient(this JsonElement obj, string name) => obj.Property(name) is { } v ? AsBool(v) : null;

    public static bool? AsBool(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number when v.TryGetInt64(out var n) => n != 0,
        JsonValueKind.String => v.GetString() switch
        {
            "1" or "true" or "yes" or "on" => true,
            "0" or "false" or "no" or "off" or "" => false,
            _ => null,
        },
        _ => null,
    };

    /// <summary>A scalar as the text Proxmox would write into a config file (numbers verbatim, booleans as 0/1).</summary>
    public static string? AsString(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Number => v.GetRawText(),
        JsonValueKind.True => "1",
        JsonValueKind.False => "0",
        _ => null,
    };

    public static IEnumerable<JsonElement> ArrayItems(JsonElement data, string what)
    {
        if (data.ValueKind != JsonValueKind.Array)
        {
            throw new ProxmoxShapeException($"{what}: expected a list, got {Describe(data.ValueKind)}");
        }

        foreach (var item in data.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new ProxmoxShapeException($"{what}: expected a list of objects, found {Describe(item.ValueKind)}");
            }

            yield return item;
        }
    }

    public static JsonElement RequireObject(JsonElement data, string what) =>
        data.ValueKind == JsonValueKind.Object
            ? data
            : throw new ProxmoxShapeException($"{what}: expected an object, got {Describe(data.ValueKind)}");

    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
