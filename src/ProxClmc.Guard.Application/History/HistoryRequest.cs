namespace ProxClmc.Guard.Application.History;

/// <summary><c>history [--since AGE] [--state FILE]</c>: the state file to read (null: the run's), and how far back.</summary>
public sealed record HistoryRequest(string? StateFile, DateTimeOffset? Since);
