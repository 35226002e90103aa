using System.Text.Json;
using System.Text.Json.Serialization;
using ProxClmc.Guard.Application.Fix;
using ProxClmc.Guard.Application.Placement;
using ProxClmc.Guard.Core.Fixes;

namespace ProxClmc.Guard.Rendering;

/// <summary><c>fix --undo --format json</c>.</summary>
internal sealed record FixUndoReport
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
