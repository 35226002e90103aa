using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.History;

namespace ProxClmc.Guard.Application.Scan;

/// <summary>
/// What a scan found against the recorded state: the state file, when the state compared with was recorded (null on
/// the first scan, or when the state could not be used), and the changes since then.
/// </summary>
public sealed record CpuChanges(string StateFile, DateTimeOffset? Since, IReadOnlyList<CpuChange> Changes)
{
    /// <summary>A level went down, or a node lost a flag some guest uses: the run exits at least 1.</summary>
    public bool HasWarning => Changes.Any(c => c.IsWarning);

    /// <summary>A level that went down, or a lost flag some guest uses, is at least a warning (1) even while every guest is ok.</summary>
    public static int WithChanges(int exitCode, CpuChanges? changes) =>
        changes is { HasWarning: true } && exitCode == ExitCodes.Ok ? ExitCodes.Warning : exitCode;
}
