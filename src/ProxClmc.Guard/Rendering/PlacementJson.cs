using System.Text;
using System.Text.Json;
using ProxClmc.Guard.Application.Placement;
using ProxClmc.Guard.Core.Placement;

namespace ProxClmc.Guard.Rendering;

/// <summary><c>fix --strategy placement --format json</c> and its <c>fix --undo --format json</c>.</summary>
internal static class PlacementJson
{
    public static string Plan(PlacementPlan plan, IReadOnlyList<PlacementResult>? results, int exitCode) => Json(json =>
    {
        ArgumentNullException.ThrowIfNull(plan);
        json.WriteNumber("schemaVersion", 1);
        json.WriteString("planId", plan.Id);
        json.WriteString("strategy", "placement");
        json.WriteString("creates", plan.UsesRules ? "node-affinity-rule" : "restricted-group");
        json.WriteStartArray("entries");
        foreach (var e in plan.Entries)
        {
            json.WriteStartObject();
            json.WriteNumber("vmid", e.VmId);
            json.WriteString("node", e.Node);
            json.WriteString("cpu", e.Cpu);
            json.WriteString("action", PlacementActionJsonConverter.Name(e.Action));
            if (e.Sid is { } sid)
            {
                json.WriteString("sid", sid);
            }

            if (e.RuleId is { } id)
            {
                json.WriteString("id", id);
            }

            WriteStrings(json, "keepsNodes", e.KeepsNodes);
            WriteStrings(json, "losesNodes", e.LosesNodes);
            json.WriteString("reason", e.Reason);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (results is not null)
        {
            json.WriteStartArray("results");
            foreach (var r in results)
            {
                json.WriteStartObject();
                json.WriteNumber("vmid", r.Entry.VmId);
                json.WriteString("id", r.Entry.RuleId);
                json.WriteString("outcome", r.Outcome switch
                {
                    PlacementOutcome.Applied => "applied",
                    PlacementOutcome.Conflict => "conflict",
                    PlacementOutcome.Failed => "failed",
                    _ => "not-attempted",
                });
                json.WriteString("message", r.Message);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteNumber("exitCode", exitCode);
    });

    public static string Undo(PlacementUndoneResult undone, int exitCode) => Json(json =>
    {
        ArgumentNullException.ThrowIfNull(undone);
        json.WriteNumber("schemaVersion", 1);
        json.WriteString("planId", undone.PlanId);
        json.WriteStartArray("results");
        foreach (var (record, outcome, message) in undone.Results)
        {
            json.WriteStartObject();
            json.WriteNumber("vmid", record.VmId);
            json.WriteString("kind", record.IsRule ? "rule" : "group");
            json.WriteString("id", record.Id);
            json.WriteString("outcome", outcome switch
            {
                PlacementUndoOutcome.Removed => "removed",
                PlacementUndoOutcome.AlreadyGone => "already-gone",
                PlacementUndoOutcome.NotWritten => "not-written",
                PlacementUndoOutcome.ChangedSince => "changed-since",
                _ => "failed",
            });
            json.WriteString("message", message);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteNumber("exitCode", exitCode);
    });

    private static string Json(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
