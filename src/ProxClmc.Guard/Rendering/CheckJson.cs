using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Rendering;

/// <summary><c>check --format json</c> and <c>check --evacuate --format json</c>, camelCase like every other document.</summary>
internal static class CheckJson
{
    public const int SchemaVersion = 1;

    public static string Check(GuestConfig guest, string cpu, IReadOnlyList<MigrationAnswer> answers, GuestVerdict? verdict, int exitCode) =>
        Document(json =>
        {
            WriteGuest(json, guest, cpu);
            json.WriteStartArray("nodes");
            foreach (var answer in answers)
            {
                WriteAnswer(json, answer, verdict?.Fits.FirstOrDefault(f => f.Node == answer.Target), guest.Node);
            }

            json.WriteEndArray();
        }, exitCode);

    public static string Evacuate(string node, IReadOnlyList<string> candidates, IReadOnlyList<(GuestConfig Guest, string Cpu, IReadOnlyList<MigrationAnswer> Answers, GuestVerdict? Verdict)> guests, IReadOnlyList<int> ignored, IReadOnlyList<int> containers, int exitCode) =>
        Document(json =>
        {
            json.WriteString("evacuate", node);
            json.WriteStartArray("candidates");
            candidates.ToList().ForEach(json.WriteStringValue);
            json.WriteEndArray();
            json.WriteStartArray("vms");
            foreach (var (guest, cpu, answers, verdict) in guests)
            {
                json.WriteStartObject();
                WriteGuest(json, guest, cpu);
                json.WriteStartArray("targets");
                foreach (var target in answers.Where(a => a.Allowed == true))
                {
                    json.WriteStringValue(target.Target);
                }

                json.WriteEndArray();
                json.WriteStartArray("nodes");
                foreach (var answer in answers)
                {
                    WriteAnswer(json, answer, verdict?.Fits.FirstOrDefault(f => f.Node == answer.Target), guest.Node);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            WriteIds(json, "ignored", ignored);
            WriteIds(json, "containersNotChecked", containers);
        }, exitCode);

    private static string Document(Action<Utf8JsonWriter> body, int exitCode)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", SchemaVersion);
            json.WriteString("tool", "proxclmc-guard");
            json.WriteString("toolVersion", VersionInfo.Version);
            body(json);
            json.WriteNumber("exitCode", exitCode);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void WriteGuest(Utf8JsonWriter json, GuestConfig guest, string cpu)
    {
        json.WriteNumber("vmid", guest.VmId);
        json.WriteString("name", guest.Name);
        json.WriteString("node", guest.Node);
        json.WriteString("cpu", cpu);
    }

    private static void WriteAnswer(Utf8JsonWriter json, MigrationAnswer answer, NodeFit? fit, string currentNode)
    {
        json.WriteStartObject();
        json.WriteString("node", answer.Target);
        if (answer.Allowed is { } allowed)
        {
            json.WriteBoolean("canRun", allowed);
        }
        else
        {
            json.WriteNull("canRun");
        }

        json.WriteBoolean("verified", answer.Verdict != Verdict.Unverified && answer.Allowed is not null);
        json.WriteBoolean("currentNode", answer.Target == currentNode);
        json.WriteStartArray("missingFlags");
        foreach (var flag in answer.Allowed == true ? [] : answer.MissingFeatures.Count > 0 ? answer.MissingFeatures : fit?.MissingFlags ?? [])
        {
            json.WriteStringValue(flag);
        }

        json.WriteEndArray();
        json.WriteString("reason", answer.Reason);
        json.WriteStartArray("warnings");
        foreach (var warning in answer.Warnings)
        {
            json.WriteStringValue(warning);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteIds(Utf8JsonWriter json, string name, IReadOnlyList<int> ids)
    {
        json.WriteStartArray(name);
        foreach (var id in ids)
        {
            json.WriteNumberValue(id);
        }

        json.WriteEndArray();
    }
}
