using System.Text.Json;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Composition;

/// <summary>
/// The placement undo records of a plan, <c>&lt;plan-id&gt;.placement.jsonl</c> in <c>fix.undo_dir</c>: one JSON
/// object a line, appended with the same folder and file handling as the cpu plans' undo records.
/// </summary>
internal sealed class PlacementUndoFile(string undoDir) : IPlacementUndoStore
{
    public static string PathOf(string undoDir, string planId) => Path.Combine(undoDir, planId + ".placement.jsonl");

    public bool Has(string planId) => FixPlan.IsValidId(planId) && File.Exists(PathOf(undoDir, planId));

    public void Append(string planId, PlacementUndoRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("vmid", record.VmId);
            json.WriteString("sid", record.Sid);
            json.WriteString("kind", record.IsRule ? "rule" : "group");
            json.WriteString("id", record.Id);
            json.WriteStartArray("nodes");
            foreach (var node in record.Nodes)
            {
                json.WriteStringValue(node);
            }

            json.WriteEndArray();
            if (record.Written is { } written)
            {
                json.WriteBoolean("written", written);
            }

            json.WriteEndObject();
        }

        // The same folder and file handling as the cpu plans' undo records: mode 0600, never through a symlink.
        using var stream = FileFixStore.OpenForAppend(PathOf(undoDir, planId));
        stream.Write(buffer.ToArray());
        stream.WriteByte((byte)'\n');

        // Written before the rule it describes: if we crash in between, undo still finds it.
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Reads the undo file; any line that is not a record written above is an error naming the line.</summary>
    public IReadOnlyList<PlacementUndoRecord> Read(string planId)
    {
        var path = PathOf(undoDir, planId);
        var records = new List<PlacementUndoRecord>();
        var info = new FileInfo(path);
        if (info.Length > InputLimits.MaxConfigBytes)
        {
            throw new ParseException(new ParseError(path, 0, 0, "undo file too large"));
        }

        var lines = File.ReadAllText(path).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            if (i == lines.Length - 1)
            {
                // A crash while appending can leave half a last line (no newline yet): the write it announced never happened.
                break;
            }

            try
            {
                using var doc = JsonDocument.Parse(lines[i]);
                var root = doc.RootElement;
                var id = root.GetProperty("id").GetString() ?? "";
                var sid = root.GetProperty("sid").GetString() ?? "";
                if (!id.StartsWith("proxclmc-vm", StringComparison.Ordinal) || !sid.StartsWith("vm:", StringComparison.Ordinal))
                {
                    throw new ParseException(new ParseError(path, i + 1, 1, "not a placement undo record"));
                }

                records.Add(new PlacementUndoRecord(
                    root.GetProperty("vmid").GetInt32(),
                    sid,
                    root.GetProperty("kind").GetString() == "rule",
                    id,
                    root.GetProperty("nodes").EnumerateArray().Select(n => n.GetString() ?? "").ToList(),
                    root.TryGetProperty("written", out var written) ? written.GetBoolean() : null));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new ParseException(new ParseError(path, i + 1, 1, "not a placement undo record: " + e.Message));
            }
        }

        return records;
    }
}
