using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Rendering;

/// <summary>
/// The JSON document of <c>scan</c>, <c>baseline --format json</c> and the daemon's report file.
/// Written with <see cref="Utf8JsonWriter"/>: no reflection, so it works in the NativeAOT binary.
/// Schema changes that remove or rename a field bump <see cref="SchemaVersion"/>.
/// </summary>
public static class JsonReport
{
    public const int SchemaVersion = 1;

    public static string Render(ClusterAnalysis cluster, ComplianceReport? report, int exitCode, DateTimeOffset generatedAt, CpuChanges? changes = null, Action<Utf8JsonWriter>? extra = null)
    {
        using var stream = new MemoryStream();
        Write(stream, cluster, report, exitCode, generatedAt, changes, extra);
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>
    /// Writes the document straight to a stream: a cluster of 10,000 guests makes a document of ~150 MB, which
    /// should not also be held in memory as a string.
    /// </summary>
    public static void Write(Stream stream, ClusterAnalysis cluster, ComplianceReport? report, int exitCode, DateTimeOffset generatedAt, CpuChanges? changes = null, Action<Utf8JsonWriter>? extra = null)
    {
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", SchemaVersion);
            json.WriteString("tool", "proxclmc-guard");
            json.WriteString("toolVersion", VersionInfo.Version);
            json.WriteString("generatedAt", generatedAt.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("source", cluster.SourceDescription);
            WriteCluster(json, cluster);
            if (report is not null)
            {
                WriteGuests(json, report);
                WriteSummary(json, report);
            }

            extra?.Invoke(json);
            if (changes is not null)
            {
                // Only where the run compared with a recorded state: the changes since then (none on a first scan).
                json.WriteString("stateFile", changes.StateFile);
                WriteNullable(json, "changesSince", changes.Since is { } since ? Core.History.ClusterStateJson.Time(since) : null);
                json.WriteStartArray("changes");
                foreach (var change in changes.Changes)
                {
                    Core.History.ClusterStateJson.WriteChange(json, change, withTime: false);
                }

                json.WriteEndArray();
            }

            json.WriteNumber("exitCode", exitCode);
            json.WriteEndObject();

            // Flush in slices so the writer's buffer stays small for very large reports.
            json.Flush();
        }

        stream.WriteByte((byte)'\n');
        stream.Flush();
    }

    private static void WriteCluster(Utf8JsonWriter json, ClusterAnalysis cluster)
    {
        var baseline = cluster.Baseline;
        json.WriteStartObject("cluster");
        WriteNullable(json, "name", cluster.Membership.ClusterName);
        json.WriteBoolean("standalone", cluster.Membership.IsStandalone);
        json.WriteStartArray("nodes");
        foreach (var node in baseline.Nodes)
        {
            WriteNode(json, node, cluster.Membership.Nodes.FirstOrDefault(n => n.Name == node.Node));
        }

        json.WriteEndArray();
        json.WriteStartObject("baseline");
        json.WriteString("cpuType", baseline.ClusterCpuType);
        json.WriteString("level", CpuCatalog.LevelName(baseline.Level));
        WriteNullable(json, "namedModel", baseline.NamedModel?.Name);
        WriteNullable(json, "vendor", baseline.SharedVendor);
        json.WriteBoolean("vendorMix", baseline.VendorMix);
        WriteNullable(json, "minPhysBits", baseline.MinPhysBits);
        json.WriteBoolean("partial", baseline.IsPartial);
        WriteStrings(json, "unreadableNodes", baseline.UnreadableNodes);
        WriteNullable(json, "pinned", baseline.PinnedModel?.Name);
        WriteStrings(json, "nodesBelowPin", baseline.NodesBelowPin);
        WriteStrings(json, "warnings", baseline.Warnings);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteNode(Utf8JsonWriter json, NodeCapability node, Core.Cluster.ClusterNode? member)
    {
        var facts = node.Facts;
        json.WriteStartObject();
        json.WriteString("name", node.Node);
        WriteNullable(json, "nodeId", member?.NodeId);
        json.WriteString("address", facts.Address);
        WriteStrings(json, "links", member?.Links.OrderBy(l => l.Number).Select(l => l.Address).ToList() ?? []);
        json.WriteString("source", Names.Source(facts.Source));
        json.WriteString("judgedBy", facts.JudgedBy);
        WriteNullable(json, "qemuVersion", facts.Qemu?.Version);
        json.WriteBoolean("readable", facts.Cpu is not null);
        json.WriteBoolean("stale", facts.IsStale);
        WriteNullable(json, "error", facts.Error);
        if (facts.Cpu is { } cpu)
        {
            json.WriteString("vendor", cpu.VendorId);
            json.WriteString("modelName", Names.ModelName(cpu.ModelName));
            WriteNullable(json, "family", cpu.Family);
            WriteNullable(json, "model", cpu.Model);
            WriteNullable(json, "stepping", cpu.Stepping);
            WriteNullable(json, "physBits", cpu.PhysicalAddressBits);
            json.WriteNumber("processors", cpu.ProcessorCount);
            json.WriteString("level", CpuCatalog.LevelName(node.Level));
            WriteNullable(json, "bestNamedModel", node.BestNamedModel?.Name);
            WriteStrings(json, "flagsNotOnAllProcessors", cpu.FlagsNotOnAllProcessors);
        }

        if (facts.CollectedAt is { } at)
        {
            json.WriteString("collectedAt", at.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        }

        json.WriteEndObject();
    }

    private static void WriteGuests(Utf8JsonWriter json, ComplianceReport report)
    {
        json.WriteStartArray("guests");
        var usesHa = report.Verdicts.Any(v => v.Placement is not null);
        var allNodes = report.Baseline.Nodes.Select(n => n.Node).ToList();
        foreach (var verdict in report.Verdicts)
        {
            if (json.BytesPending > 1 << 20)
            {
                json.Flush();
            }

            var guest = verdict.Guest;
            json.WriteStartObject();
            json.WriteNumber("vmid", guest.VmId);
            WriteNullable(json, "name", guest.Name);
            json.WriteString("node", guest.Node);
            json.WriteString("type", guest.Type == GuestType.Lxc ? "lxc" : "qemu");
            WriteNullable(json, "status", guest.Status);
            json.WriteBoolean("template", guest.Template);
            WriteNullable(json, "lock", guest.Lock);
            WriteStrings(json, "tags", guest.Tags);
            WriteNullable(json, "cpuOption", guest.Cpu);
            json.WriteString("cpu", verdict.Cpu);
            json.WriteString("verdict", verdict.Verdict.Name());
            WriteNullable(json, "ignoredVerdict", verdict.IgnoredVerdict?.Name());
            json.WriteString("reason", verdict.Reason);
            json.WriteStartArray("notes");
            foreach (var note in verdict.Notes)
            {
                json.WriteStartObject();
                json.WriteString("code", note.Code);
                json.WriteString("text", note.Text);
                json.WriteBoolean("warning", note.IsWarning);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("nodes");
            foreach (var fit in verdict.Fits)
            {
                json.WriteStartObject();
                json.WriteString("node", fit.Node);
                if (fit.CanRun is { } canRun)
                {
                    json.WriteBoolean("canRun", canRun);
                }
                else
                {
                    json.WriteNull("canRun");
                }

                WriteStrings(json, "missingFlags", fit.MissingFlags);
                json.WriteBoolean("vendorMismatch", fit.VendorMismatch);
                WriteStrings(json, "unverified", fit.Unverified);
                WriteNullable(json, "judgedBy", fit.JudgedBy);
                json.WriteString("reason", fit.Reason);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (usesHa)
            {
                WriteHa(json, verdict.Placement, allNodes);
            }

            WriteNullable(json, "digest", guest.Digest);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>
    /// Only in clusters that use HA (so reports of other clusters keep their shape): every guest's
    /// <c>allowedNodes</c>, and for HA guests the resource, its rule and the nodes with their priorities.
    /// </summary>
    private static void WriteHa(Utf8JsonWriter json, Core.Ha.GuestPlacement? placement, IReadOnlyList<string> allNodes)
    {
        WriteStrings(json, "allowedNodes", placement?.NodeNames ?? allNodes);
        if (placement is null)
        {
            json.WriteNull("ha");
            return;
        }

        json.WriteStartObject("ha");
        json.WriteString("sid", placement.Sid);
        json.WriteString("state", placement.State.ToString().ToLowerInvariant());
        WriteNullable(json, "rule", placement.Rule?.Id);
        WriteNullable(json, "group", placement.Group);
        json.WriteBoolean("strict", placement.IsStrict);
        json.WriteStartArray("nodes");
        foreach (var node in placement.Nodes)
        {
            json.WriteStartObject();
            json.WriteString("node", node.Node);
            json.WriteNumber("priority", node.Priority);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteSummary(Utf8JsonWriter json, ComplianceReport report)
    {
        json.WriteStartObject("summary");
        json.WriteNumber("guests", report.Verdicts.Count);
        json.WriteNumber("unsafe", report.UnsafeCount);
        json.WriteNumber("warnings", report.WarningCount);
        json.WriteStartObject("byVerdict");
        foreach (var verdict in VerdictNames.All)
        {
            json.WriteNumber(verdict.Name(), report.Count(verdict));
        }

        json.WriteEndObject();
        json.WriteEndObject();
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

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
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

    private static void WriteNullable(Utf8JsonWriter json, string name, int? value)
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
}
