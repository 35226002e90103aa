using System.Text.Json;

namespace ProxClmc.Guard.Cli.Tests.Snapshot;

/// <summary>The parts of a JSON report two runs over different sources must agree on.</summary>
internal static class ReportJson
{
    /// <summary>vmid → "verdict [note codes] cpu", optionally leaving out some note codes.</summary>
    public static SortedDictionary<int, string> Verdicts(string json, params string[] ignoreNotes)
    {
        using var doc = JsonDocument.Parse(json);
        var result = new SortedDictionary<int, string>();
        foreach (var guest in doc.RootElement.GetProperty("guests").EnumerateArray())
        {
            var notes = string.Join(",", guest.GetProperty("notes").EnumerateArray()
                .Select(n => n.GetProperty("code").GetString())
                .Where(c => !ignoreNotes.Contains(c))
                .Order(StringComparer.Ordinal));
            var cpu = guest.TryGetProperty("cpu", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : "";
            result[guest.GetProperty("vmid").GetInt32()] = $"{guest.GetProperty("verdict").GetString()} [{notes}] {cpu}";
        }

        return result;
    }

    /// <summary>node → "level | best named model | phys bits", in report order.</summary>
    public static List<string> NodeRows(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("cluster").GetProperty("nodes").EnumerateArray()
            .Select(n => $"{n.GetProperty("name").GetString()} | {Text(n, "level")} | {Text(n, "bestNamedModel")} | {Text(n, "physBits")}")
            .ToList();
    }

    public static Dictionary<string, JsonElement> Nodes(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("cluster").GetProperty("nodes").EnumerateArray()
            .ToDictionary(n => n.GetProperty("name").GetString()!, n => n.Clone());
    }

    public static string Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Null => "-",
            _ => value.GetRawText(),
        } : "-";

    /// <summary>Every file under a folder, relative path → bytes (for comparing trees).</summary>
    public static SortedDictionary<string, byte[]> Files(string root) =>
        new(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllBytes), StringComparer.Ordinal);
}
