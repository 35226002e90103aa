using ProxClmc.Guard.Core.History;

namespace ProxClmc.Guard.Application.History;

/// <summary>
/// The recorded changes of the cluster's CPU within the window, newest first; the file read, when the last scan
/// recorded, whether there is a state at all, and why it could not be used (null when it could).
/// </summary>
public sealed record HistoryResult(string Path, DateTimeOffset? Since, DateTimeOffset? RecordedAt, IReadOnlyList<CpuChange> Changes, bool HasState, string? Problem);
