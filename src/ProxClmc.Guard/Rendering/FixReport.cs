using System.Text.Json;
using System.Text.Json.Serialization;
using ProxClmc.Guard.Application.Fix;
using ProxClmc.Guard.Application.Placement;
using ProxClmc.Guard.Core.Fixes;

namespace ProxClmc.Guard.Rendering;

/// <summary><c>fix --format json</c>: one document with the plan and, after <c>--apply</c>, what happened to each change.</summary>
internal sealed record FixReport
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
