using System.Text.Json;
using System.Text.Json.Serialization;
using ProxClmc.Guard.Application.Fix;
using ProxClmc.Guard.Application.Placement;
using ProxClmc.Guard.Core.Fixes;

namespace ProxClmc.Guard.Rendering;

internal sealed record FixUndoReportResult
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
