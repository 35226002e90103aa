using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.History;

/// <summary>
/// The state file (<c>&lt;pve_root&gt;/proxclmc-guard/state.json</c>): one compact JSON object, kept small for
/// pmxcfs (1 MiB per file). Flags are one space-separated string per node, guests are VM id lists per verdict.
/// <code>
/// {"format":"proxclmc-guard-state","version":1,"cluster":"lab","recordedAt":"2026-11-23T12:00:00Z",
///  "nodes":[{"node":"pve1","vendor":"GenuineIntel","family":6,"model":45,"stepping":7,"microcode":"0x718",
///            "kernel":"6.8.12-4-pve","qemu":"9.2.0","level":"x86-64-v2-AES","named":"SandyBridge-IBRS",
///            "source":"ssh","judgedBy":"cpuinfo","flags":"aes avx ..."}],
///  "baseline":{"level":"x86-64-v2-AES","named":"SandyBridge-IBRS","partial":false},
///  "guests":{"ok":[100,101],"exceeds-baseline":[103]},
///  "history":[{"kind":"node-lost-flags","since":"...","at":"...","node":"pve4","flags":["hle","rtm"],...}]}
/// </code>
/// </summary>
public static class ClusterStateJson
{
    public const string Format = "proxclmc-guard-state";

    public const int Version = 1;

    /// <summary>pmxcfs refuses files over 1 MiB: a state file larger than that is not ours.</summary>
    public const int MaxBytes = InputLimits.MaxPmxcfsFileBytes;

    private static readonly JsonWriterOptions Compact = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Write(ClusterState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Compact))
        {
            json.WriteStartObject();
            json.WriteString("format", Format);
            json.WriteNumber("version", Version);
            Nullable(json, "cluster", state.ClusterName);
            json.WriteString("recordedAt", Time(state.RecordedAt));
            json.WriteStartArray("nodes");
            foreach (var node in state.Nodes)
            {
                json.WriteStartObject();
                json.WriteString("node", node.Node);
                if (!node.Readable)
                {
                    json.WriteBoolean("readable", false);
                    json.WriteEndObject();
                    continue;
                }

                Nullable(json, "vendor", node.Vendor);
                Nullable(json, "family", node.Family);
                Nullable(json, "model", node.Model);
                Nullable(json, "stepping", node.Stepping);
                Nullable(json, "microcode", node.Microcode);
                Nullable(json, "kernel", node.Kernel);
                Nullable(json, "qemu", node.Qemu);
                json.WriteString("level", node.Level);
                Nullable(json, "named", node.Named);
                json.WriteString("source", node.Source);
                json.WriteString("judgedBy", node.JudgedBy);
                json.WriteString("flags", string.Join(' ', node.Flags));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("baseline");
            json.WriteString("level", state.BaselineLevel);
            Nullable(json, "named", state.BaselineNamed);
            json.WriteBoolean("partial", state.BaselinePartial);
            json.WriteEndObject();
            json.WriteStartObject("guests");
            foreach (var group in state.Guests.GroupBy(g => g.Value, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                json.WriteStartArray(group.Key);
                foreach (var vmid in group.Select(g => g.Key).Order())
                {
                    json.WriteNumberValue(vmid);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
            json.WriteStartArray("history");
            foreach (var change in state.History)
            {
                WriteChange(json, change, withTime: true);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>
    /// One change as the report's <c>changes</c> and the history list it: <c>kind</c>, <c>since</c>, then the fields
    /// of its kind; <paramref name="withTime"/> adds <c>at</c> (when the scan found it) and the two judgements.
    /// </summary>
    public static void WriteChange(Utf8JsonWriter json, CpuChange change, bool withTime)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(change);
        json.WriteStartObject();
        json.WriteString("kind", change.Kind);
        json.WriteString("since", Time(change.Since));
        if (withTime)
        {
            json.WriteString("at", Time(change.At));
        }

        switch (change.Kind)
        {
            case CpuChangeKind.NodeLostFlags or CpuChangeKind.NodeGainedFlags:
                json.WriteString("node", change.Node);
                json.WriteStartArray("flags");
                foreach (var flag in change.Flags)
                {
                    json.WriteStringValue(flag);
                }

                json.WriteEndArray();
                WriteSoftware(json, change.Software);
                break;
            case CpuChangeKind.NodeJoined or CpuChangeKind.NodeLeft:
                json.WriteString("node", change.Node);
                break;
            case CpuChangeKind.NodeLevelChanged:
                json.WriteString("node", change.Node);
                WriteFromTo(json, change);
                break;
            case CpuChangeKind.BaselineChanged:
                WriteFromTo(json, change);
                break;
            case CpuChangeKind.GuestVerdictChanged:
                json.WriteNumber("vmid", change.VmId ?? 0);
                Nullable(json, "node", change.Node);
                json.WriteString("from", change.From);
                json.WriteString("to", change.To);
                break;
            case CpuChangeKind.NodeSoftwareChanged:
                json.WriteString("node", change.Node);
                WriteSoftware(json, change.Software ?? new SoftwareChange(null, null, null));
                break;
        }

        json.WriteBoolean("loss", change.IsLoss);
        json.WriteBoolean("warning", change.IsWarning);
        json.WriteEndObject();
    }

    /// <summary>
    /// The state in <paramref name="bytes"/>, or why it cannot be used: not JSON, not a state file, another version, or
    /// another cluster's (<paramref name="clusterName"/>: this cluster's name; a state of another one is foreign).
    /// Never throws on any input.
    /// </summary>
    public static ParseResult<ClusterState> Parse(ReadOnlySpan<byte> bytes, string origin, string? clusterName, bool checkCluster = true)
    {
        if (bytes.Length > MaxBytes)
        {
            return ParseResult<ClusterState>.Fail(origin, 0, 0, $"larger than {MaxBytes / 1024} KiB: not a state file of proxclmc-guard");
        }

        try
        {
            using var document = JsonDocument.Parse(bytes.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || String(root, "format") != Format)
            {
                return Fail(origin, $"not a state file of proxclmc-guard (no \"format\": \"{Format}\")");
            }

            if (!root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var v) || v != Version)
            {
                return Fail(origin, $"state format version {(root.TryGetProperty("version", out var shown) ? shown.GetRawText() : "missing")}, this proxclmc-guard reads version {Version}");
            }

            var cluster = String(root, "cluster");
            if (checkCluster && !string.Equals(cluster, clusterName, StringComparison.Ordinal))
            {
                return Fail(origin, $"the state of cluster '{cluster ?? "(none)"}', not of this cluster '{clusterName ?? "(none)"}'");
            }

            if (Time(root, "recordedAt") is not { } recordedAt)
            {
                return Fail(origin, "field 'recordedAt': missing or not a time (yyyy-MM-ddTHH:mm:ssZ)");
            }

            if (!root.TryGetProperty("nodes", out var nodesElement) || nodesElement.ValueKind != JsonValueKind.Array)
            {
                return Fail(origin, "field 'nodes': missing or not a list");
            }

            var nodes = new List<NodeState>();
            foreach (var item in nodesElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || String(item, "node") is not { Length: > 0 } name)
                {
                    return Fail(origin, $"field 'nodes[{nodes.Count}].node': missing or not a string");
                }

                if (item.TryGetProperty("readable", out var readable) && readable.ValueKind == JsonValueKind.False)
                {
                    nodes.Add(new NodeState { Node = name, Readable = false });
                    continue;
                }

                if (String(item, "level") is not { } level || String(item, "flags") is not { } flags)
                {
                    return Fail(origin, $"node '{name}': field 'level' or 'flags' missing or not a string");
                }

                nodes.Add(new NodeState
                {
                    Node = name,
                    Vendor = String(item, "vendor"),
                    Family = Int(item, "family"),
                    Model = Int(item, "model"),
                    Stepping = Int(item, "stepping"),
                    Microcode = String(item, "microcode"),
                    Kernel = String(item, "kernel"),
                    Qemu = String(item, "qemu"),
                    Level = level,
                    Named = String(item, "named"),
                    Source = String(item, "source") ?? "",
                    JudgedBy = String(item, "judgedBy") ?? "cpuinfo",
                    Flags = flags.Split(' ', StringSplitOptions.RemoveEmptyEntries),
                });
            }

            if (!root.TryGetProperty("baseline", out var baseline) || baseline.ValueKind != JsonValueKind.Object || String(baseline, "level") is not { } baselineLevel)
            {
                return Fail(origin, "field 'baseline.level': missing or not a string");
            }

            var guests = new Dictionary<int, string>();
            if (!root.TryGetProperty("guests", out var guestsElement) || guestsElement.ValueKind != JsonValueKind.Object)
            {
                return Fail(origin, "field 'guests': missing or not an object");
            }

            foreach (var group in guestsElement.EnumerateObject())
            {
                if (group.Value.ValueKind != JsonValueKind.Array)
                {
                    return Fail(origin, $"field 'guests.{group.Name}': not a list of VM ids");
                }

                foreach (var id in group.Value.EnumerateArray())
                {
                    if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out var vmid))
                    {
                        return Fail(origin, $"field 'guests.{group.Name}': not a list of VM ids");
                    }

                    guests[vmid] = group.Name;
                }
            }

            var history = new List<CpuChange>();
            if (root.TryGetProperty("history", out var historyElement) && historyElement.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in historyElement.EnumerateArray())
                {
                    if (ReadChange(item) is not { } change)
                    {
                        return Fail(origin, $"field 'history[{history.Count}]': not a change (kind, since, at)");
                    }

                    history.Add(change);
                }
            }

            return ParseResult<ClusterState>.Ok(new ClusterState
            {
                ClusterName = cluster,
                RecordedAt = recordedAt,
                Nodes = nodes,
                BaselineLevel = baselineLevel,
                BaselineNamed = String(baseline, "named"),
                BaselinePartial = baseline.TryGetProperty("partial", out var partial) && partial.ValueKind == JsonValueKind.True,
                Guests = guests,
                History = history.Take(ClusterState.MaxHistory).ToList(),
            });
        }
        catch (JsonException e)
        {
            var line = e.LineNumber is { } l ? (int)l + 1 : 0;
            var column = e.BytePositionInLine is { } c ? (int)c + 1 : 0;
            return ParseResult<ClusterState>.Fail(origin, line, column, "not valid JSON");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // A string that is not valid UTF-8 (GetString refuses to transcode it).
            return Fail(origin, "not valid UTF-8 JSON");
        }
    }

    private static CpuChange? ReadChange(JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object || String(item, "kind") is not { Length: > 0 } kind
            || Time(item, "since") is not { } since || Time(item, "at") is not { } at)
        {
            return null;
        }

        var flags = new List<string>();
        if (item.TryGetProperty("flags", out var f) && f.ValueKind == JsonValueKind.Array)
        {
            flags.AddRange(f.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
        }

        SoftwareChange? software = null;
        if (item.TryGetProperty("software", out var s) && s.ValueKind == JsonValueKind.Object)
        {
            software = new SoftwareChange(Pair(s, "kernel"), Pair(s, "microcode"), Pair(s, "qemu"));
        }

        return new CpuChange
        {
            Kind = kind,
            Since = since,
            At = at,
            Node = String(item, "node"),
            Flags = flags,
            Software = software,
            From = String(item, "from"),
            To = String(item, "to"),
            NamedFrom = String(item, "namedFrom"),
            NamedTo = String(item, "namedTo"),
            VmId = Int(item, "vmid"),
            IsLoss = item.TryGetProperty("loss", out var loss) && loss.ValueKind == JsonValueKind.True,
            IsWarning = item.TryGetProperty("warning", out var warning) && warning.ValueKind == JsonValueKind.True,
        };
    }

    private static ValueChange? Pair(JsonElement software, string name) =>
        software.TryGetProperty(name, out var pair) && pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2
            ? new ValueChange(pair[0].ValueKind == JsonValueKind.String ? pair[0].GetString() : null, pair[1].ValueKind == JsonValueKind.String ? pair[1].GetString() : null)
            : null;

    private static void WriteFromTo(Utf8JsonWriter json, CpuChange change)
    {
        json.WriteString("from", change.From);
        json.WriteString("to", change.To);
        Nullable(json, "namedFrom", change.NamedFrom);
        Nullable(json, "namedTo", change.NamedTo);
    }

    private static void WriteSoftware(Utf8JsonWriter json, SoftwareChange? software)
    {
        json.WriteStartObject("software");
        foreach (var (name, value) in new[] { ("kernel", software?.Kernel), ("microcode", software?.Microcode), ("qemu", software?.Qemu) })
        {
            if (value is not null)
            {
                json.WriteStartArray(name);
                NullableValue(json, value.From);
                NullableValue(json, value.To);
                json.WriteEndArray();
            }
        }

        json.WriteEndObject();
    }

    public static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static ParseResult<ClusterState> Fail(string origin, string message) => ParseResult<ClusterState>.Fail(origin, 0, 0, message);

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i) ? i : null;

    private static DateTimeOffset? Time(JsonElement element, string name) =>
        String(element, name) is { } text && DateTimeOffset.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : null;

    private static void Nullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void Nullable(Utf8JsonWriter json, string name, int? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void NullableValue(Utf8JsonWriter json, string? value)
    {
        if (value is null)
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteStringValue(value);
        }
    }
}
