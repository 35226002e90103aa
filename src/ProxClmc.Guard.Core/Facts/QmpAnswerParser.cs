using System.Text.Json;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.Facts;

/// <summary>
/// The QMP conversation that asks a node's QEMU what it can run under KVM, and the parser of its answers.
/// QEMU is started with <c>-machine none -accel kvm -nodefaults -display none -S -qmp stdio</c>: no guest, no disk,
/// no network, no CPU running; it answers and quits. Every command carries an id so that answers are matched to
/// questions whatever events QEMU sends in between.
/// </summary>
public static class QmpAnswerParser
{
    /// <summary>Upper bound on the whole conversation (QEMU 7.2 answers about 60 KiB; 11.x somewhat more).</summary>
    public const int MaxTranscriptBytes = 8 * 1024 * 1024;

    public const string VersionId = "version";
    public const string DefinitionsId = "definitions";
    public const string ExpansionId = "expansion";

    /// <summary>The lines written to QEMU's stdin, in order (qmp_capabilities must come first).</summary>
    public static IReadOnlyList<string> Commands { get; } =
    [
        """{"execute":"qmp_capabilities","id":"capabilities"}""",
        """{"execute":"query-version","id":"version"}""",
        """{"execute":"query-cpu-definitions","id":"definitions"}""",
        """{"execute":"query-cpu-model-expansion","arguments":{"type":"full","model":{"name":"host"}},"id":"expansion"}""",
        """{"execute":"quit","id":"quit"}""",
    ];

    /// <summary>True once the transcript holds an answer (or an error) for every question; the caller may stop reading.</summary>
    public static bool IsComplete(IReadOnlyCollection<string> answeredIds) =>
        answeredIds.Contains(VersionId) && answeredIds.Contains(DefinitionsId) && answeredIds.Contains(ExpansionId);

    /// <summary>The id of one answer line, or null for the greeting, events and lines that are not JSON.</summary>
    public static string? AnswerId(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
                ? id.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Parses QEMU's stdout (one JSON object per line). Never throws for bad input.</summary>
    public static ParseResult<QemuCpuAnswer> Parse(string transcript, string binary, string origin)
    {
        ArgumentNullException.ThrowIfNull(transcript);
        if (transcript.Length > MaxTranscriptBytes)
        {
            return ParseResult<QemuCpuAnswer>.Fail(origin, 0, 0, $"QMP answer larger than {MaxTranscriptBytes} bytes");
        }

        string? version = null;
        List<QemuModelAnswer>? models = null;
        List<string>? host = null;
        var lineNo = 0;
        foreach (var raw in transcript.Split('\n'))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 16 });
            }
            catch (JsonException e)
            {
                return ParseResult<QemuCpuAnswer>.Fail(origin, lineNo, 1, $"not a QMP message: {e.Message}");
            }

            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    return ParseResult<QemuCpuAnswer>.Fail(origin, lineNo, 1, "not a QMP message: expected a JSON object");
                }

                if (root.TryGetProperty("QMP", out var greeting))
                {
                    version ??= VersionOf(greeting);
                    continue;
                }

                var id = root.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
                if (root.TryGetProperty("error", out var error))
                {
                    var desc = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("desc", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : "no description";
                    return ParseResult<QemuCpuAnswer>.Fail(origin, lineNo, 1, $"QEMU refused {id ?? "a command"}: {desc}");
                }

                if (!root.TryGetProperty("return", out var value))
                {
                    continue; // an event (SHUTDOWN, ...)
                }

                switch (id)
                {
                    case VersionId:
                        version = VersionOf(value) ?? version;
                        break;
                    case DefinitionsId:
                        models = Definitions(value);
                        if (models is null)
                        {
                            return ParseResult<QemuCpuAnswer>.Fail(origin, lineNo, 1, "query-cpu-definitions: expected a list of models with names");
                        }

                        break;
                    case ExpansionId:
                        host = Expansion(value);
                        if (host is null)
                        {
                            return ParseResult<QemuCpuAnswer>.Fail(origin, lineNo, 1, "query-cpu-model-expansion: expected model.props");
                        }

                        break;
                }
            }
        }

        if (models is null || host is null)
        {
            var what = models is null ? "query-cpu-definitions" : "query-cpu-model-expansion";
            return ParseResult<QemuCpuAnswer>.Fail(origin, 0, 0, $"QEMU gave no answer to {what}");
        }

        return ParseResult<QemuCpuAnswer>.Ok(new QemuCpuAnswer { Binary = binary, Version = version ?? "unknown", Models = models, HostFeatures = host });
    }

    private static string? VersionOf(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (element.TryGetProperty("version", out var nested))
        {
            element = nested;
        }

        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("qemu", out var q) || q.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        return Number(q, "major") is { } major && Number(q, "minor") is { } minor && Number(q, "micro") is { } micro
            ? $"{major}.{minor}.{micro}"
            : null;
    }

    private static long? Number(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n >= 0 ? n : null;

    private static List<QemuModelAnswer>? Definitions(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var models = new List<QemuModelAnswer>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                || name.GetString() is not { Length: > 0 and <= 128 } modelName)
            {
                return null;
            }

            var unavailable = new List<string>();
            if (item.TryGetProperty("unavailable-features", out var features) && features.ValueKind == JsonValueKind.Array)
            {
                foreach (var feature in features.EnumerateArray())
                {
                    // QEMU 7.2 lists a feature twice when two CPUID leaves carry it (Skylake-Server: pku).
                    if (feature.ValueKind == JsonValueKind.String && feature.GetString() is { Length: > 0 } f && !unavailable.Contains(f, StringComparer.Ordinal))
                    {
                        unavailable.Add(f);
                    }
                }
            }

            var aliasOf = item.TryGetProperty("alias-of", out var alias) && alias.ValueKind == JsonValueKind.String ? alias.GetString() : null;
            models.Add(new QemuModelAnswer(modelName, unavailable) { AliasOf = aliasOf });
        }

        return models;
    }

    private static List<string>? Expansion(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object
            || !model.TryGetProperty("props", out var props) || props.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        // Only boolean properties that are true are features; the rest (family, model-id, phys-bits, ...) are settings.
        return props.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.True).Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
    }
}
