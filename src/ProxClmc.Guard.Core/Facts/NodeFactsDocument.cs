using System.Globalization;
using System.Text;
using System.Text.Json;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.Facts;

/// <summary>
/// One node's published facts (<c>facts --format json</c>, and <c>&lt;pve_root&gt;/nodes/&lt;node&gt;/proxclmc-guard/facts.json</c>):
/// its raw /proc/cpuinfo, kernel release, microcode revision and, where QEMU and /dev/kvm exist, QEMU's own answer under KVM.
/// </summary>
public sealed record NodeFactsDocument
{
    /// <summary>pmxcfs refuses files over 1 MiB; a 512-thread cpuinfo alone is larger, so publish keeps the first processor blocks.</summary>
    public const int MaxBytes = InputLimits.MaxPmxcfsFileBytes;

    public required string Node { get; init; }

    public required DateTimeOffset CollectedAt { get; init; }

    public string Kernel { get; init; } = "";

    public string Microcode { get; init; } = "";

    public required string CpuInfo { get; init; }

    public QemuCpuAnswer? Qemu { get; init; }

    /// <summary>Why <see cref="Qemu"/> is null (no QEMU binary, no /dev/kvm, QEMU failed or timed out).</summary>
    public string? QemuError { get; init; }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("node", Node);
            json.WriteString("collectedAt", CollectedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            json.WriteString("kernel", Kernel);
            json.WriteString("microcode", Microcode);
            json.WriteString("cpuinfo", CpuInfo);
            if (Qemu is { } qemu)
            {
                json.WriteStartObject("qemu");
                json.WriteString("binary", qemu.Binary);
                json.WriteString("version", qemu.Version);
                json.WriteString("accelerator", qemu.Accelerator);
                json.WriteStartArray("models");
                foreach (var model in qemu.Models)
                {
                    json.WriteStartObject();
                    json.WriteString("name", model.Name);
                    json.WriteBoolean("usable", model.Usable);
                    json.WriteStartArray("unavailableFeatures");
                    foreach (var feature in model.UnavailableFeatures)
                    {
                        json.WriteStringValue(feature);
                    }

                    json.WriteEndArray();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteStartArray("hostFeatures");
                foreach (var feature in qemu.HostFeatures)
                {
                    json.WriteStringValue(feature);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("qemu");
                json.WriteString("qemuError", QemuError ?? "no QEMU answer");
            }

            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Parses a facts.json; any byte sequence gives a value or one error naming the file and field. Never throws.</summary>
    public static ParseResult<NodeFactsDocument> Parse(string text, string origin)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxBytes)
        {
            return Fail(origin, $"larger than {MaxBytes} bytes");
        }

        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 16 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Fail(origin, "expected a JSON object");
            }

            if (String(root, "node") is not { Length: > 0 } node)
            {
                return Fail(origin, "field 'node': missing or not a string");
            }

            if (String(root, "collectedAt") is not { } at
                || !DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var collectedAt))
            {
                return Fail(origin, "field 'collectedAt': missing or not a date (yyyy-MM-ddTHH:mm:ssZ)");
            }

            if (String(root, "cpuinfo") is not { } cpuinfo)
            {
                return Fail(origin, "field 'cpuinfo': missing or not a string");
            }

            QemuCpuAnswer? qemu = null;
            if (root.TryGetProperty("qemu", out var q) && q.ValueKind != JsonValueKind.Null)
            {
                var parsed = ParseQemu(q, origin);
                if (!parsed.IsSuccess)
                {
                    return ParseResult<NodeFactsDocument>.Fail(parsed.Error);
                }

                qemu = parsed.Value;
            }

            return ParseResult<NodeFactsDocument>.Ok(new NodeFactsDocument
            {
                Node = node,
                CollectedAt = collectedAt,
                Kernel = String(root, "kernel") ?? "",
                Microcode = String(root, "microcode") ?? "",
                CpuInfo = cpuinfo,
                Qemu = qemu,
                QemuError = qemu is null ? String(root, "qemuError") ?? "no QEMU answer" : null,
            });
        }
        catch (JsonException e)
        {
            var line = e.LineNumber is { } l ? (int)l + 1 : 0;
            var column = e.BytePositionInLine is { } c ? (int)c + 1 : 0;
            return ParseResult<NodeFactsDocument>.Fail(origin, line, column, "not valid JSON");
        }
    }

    private static ParseResult<QemuCpuAnswer> ParseQemu(JsonElement q, string origin)
    {
        if (q.ValueKind != JsonValueKind.Object)
        {
            return ParseResult<QemuCpuAnswer>.Fail(origin, 0, 0, "field 'qemu': expected an object or null");
        }

        if (String(q, "version") is not { Length: > 0 } version)
        {
            return ParseResult<QemuCpuAnswer>.Fail(origin, 0, 0, "field 'qemu.version': missing or not a string");
        }

        if (String(q, "accelerator") is { } accel && accel != "kvm")
        {
            return ParseResult<QemuCpuAnswer>.Fail(origin, 0, 0, $"field 'qemu.accelerator': '{accel}' is not kvm; only answers under KVM say what a VM can run");
        }

        if (!q.TryGetProperty("models", out var modelsElement) || modelsElement.ValueKind != JsonValueKind.Array)
        {
            return ParseResult<QemuCpuAnswer>.Fail(origin, 0, 0, "field 'qemu.models': missing or not a list");
        }

        var models = new List<QemuModelAnswer>();
        var index = 0;
        foreach (var item in modelsElement.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || String(item, "name") is not { Length: > 0 } name)
            {
                return ParseResult<QemuCpuAnswer>.Fail(origin, 0, 0, $"field 'qemu.models[{index}].name': missing or not a string");
            }

            var unavailable = Strings(item, "unavailableFeatures");
            if (unavailable is null)
            {
                return ParseResult<QemuCpuAnswer>.Fail(origin, 0, 0, $"field 'qemu.models[{index}].unavailableFeatures': missing or not a list of strings");
            }

            models.Add(new QemuModelAnswer(name, unavailable));
            index++;
        }

        var host = Strings(q, "hostFeatures");
        if (host is null)
        {
            return ParseResult<QemuCpuAnswer>.Fail(origin, 0, 0, "field 'qemu.hostFeatures': missing or not a list of strings");
        }

        return ParseResult<QemuCpuAnswer>.Ok(new QemuCpuAnswer { Binary = String(q, "binary") ?? "", Version = version, Models = models, HostFeatures = host });
    }

    private static string? String(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static List<string>? Strings(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var list = new List<string>();
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            list.Add(item.GetString()!);
        }

        return list;
    }

    private static ParseResult<NodeFactsDocument> Fail(string origin, string message) => ParseResult<NodeFactsDocument>.Fail(origin, 0, 0, message);
}
