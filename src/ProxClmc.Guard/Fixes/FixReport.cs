using System.Text.Json;
using System.Text.Json.Serialization;
using ProxClmc.Guard.Application.Fix;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Fixes;

/// <summary><c>fix --format json</c>: one document with the plan and, after <c>--apply</c>, what happened to each change.</summary>
public sealed record FixReport
{
    public int SchemaVersion { get; init; } = FixPlan.CurrentSchemaVersion;

    public required FixPlan Plan { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<FixReportResult>? Results { get; init; }

    public required int ExitCode { get; init; }

    public static string Render(FixPlan plan, IReadOnlyList<ApplyResult>? results, int exitCode) =>
        JsonSerializer.Serialize(
            new FixReport
            {
                Plan = plan,
                Results = results?.Select(r => new FixReportResult
                {
                    VmId = r.Entry.VmId,
                    Node = r.Entry.Node,
                    OldCpu = r.Entry.OldCpu,
                    NewCpu = r.Entry.NewCpu,
                    Outcome = OutcomeName(r.Outcome),
                    Pending = r.Pending,
                    Message = r.Message,
                }).ToList(),
                ExitCode = exitCode,
            },
            FixReportJson.Readable.FixReport) + "\n";

    public static string OutcomeName(ApplyOutcome outcome) => outcome switch
    {
        ApplyOutcome.Applied => "applied",
        ApplyOutcome.Conflict => "conflict",
        ApplyOutcome.Skipped => "skipped",
        ApplyOutcome.Failed => "failed",
        _ => "not-attempted",
    };
}

public sealed record FixReportResult
{
    public required int VmId { get; init; }

    public required string Node { get; init; }

    public string? OldCpu { get; init; }

    public string? NewCpu { get; init; }

    /// <summary>applied | conflict | skipped | failed | not-attempted.</summary>
    public required string Outcome { get; init; }

    public bool Pending { get; init; }

    public required string Message { get; init; }
}

/// <summary><c>fix --undo --format json</c>.</summary>
public sealed record FixUndoReport
{
    public int SchemaVersion { get; init; } = FixPlan.CurrentSchemaVersion;

    public required string PlanId { get; init; }

    public required IReadOnlyList<FixUndoReportResult> Results { get; init; }

    public required int ExitCode { get; init; }

    public static string Render(string planId, IReadOnlyList<UndoResult> results, int exitCode) =>
        JsonSerializer.Serialize(
            new FixUndoReport
            {
                PlanId = planId,
                Results = results.Select(r => new FixUndoReportResult
                {
                    VmId = r.Record.VmId,
                    Node = r.Record.Node,
                    OldCpu = r.Record.OldCpu,
                    NewCpu = r.Record.NewCpu,
                    CurrentCpu = r.CurrentCpu,
                    Outcome = r.Outcome switch
                    {
                        UndoOutcome.Restored => "restored",
                        UndoOutcome.AlreadyRestored => "already-restored",
                        UndoOutcome.ChangedSince => "changed-since",
                        UndoOutcome.NotWritten => "not-written",
                        UndoOutcome.Skipped => "skipped",
                        UndoOutcome.NotRestorable => "not-restorable",
                        _ => "failed",
                    },
                    Message = r.Message,
                }).ToList(),
                ExitCode = exitCode,
            },
            FixReportJson.Readable.FixUndoReport) + "\n";
}

public sealed record FixUndoReportResult
{
    public required int VmId { get; init; }

    public required string Node { get; init; }

    /// <summary>The value before the fix (what undo restores); null = no cpu line.</summary>
    public string? OldCpu { get; init; }

    /// <summary>The value the fix wrote.</summary>
    public required string NewCpu { get; init; }

    /// <summary>The value found before undoing.</summary>
    public string? CurrentCpu { get; init; }

    /// <summary>restored | already-restored | changed-since | skipped | failed.</summary>
    public required string Outcome { get; init; }

    public required string Message { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    IgnoreReadOnlyProperties = true,
    Converters = [typeof(FixActionJsonConverter), typeof(PlacementActionJsonConverter)])]
[JsonSerializable(typeof(FixReport))]
[JsonSerializable(typeof(FixUndoReport))]
internal sealed partial class FixReportJson : JsonSerializerContext
{
    private static FixReportJson? _readable;

    /// <summary>cpu values keep their '+' readable (no \u002B) in reports an administrator reads.</summary>
    public static FixReportJson Readable => _readable ??= new FixReportJson(
        new JsonSerializerOptions(Default.Options) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
