using System.Text.Json;
using System.Text.Json.Serialization;
using ProxClmc.Guard.Application.Fix;
using ProxClmc.Guard.Application.Placement;
using ProxClmc.Guard.Core.Fixes;

namespace ProxClmc.Guard.Rendering;

internal sealed record FixReportResult
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
