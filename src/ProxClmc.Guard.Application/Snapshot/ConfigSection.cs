namespace ProxClmc.Guard.Application.Snapshot;

/// <summary>One section of a VM config as the API gives it: its values, and (for [PENDING]) the keys to delete.</summary>
public sealed record ConfigSection(string? Header, IReadOnlyDictionary<string, string> Values, IReadOnlyList<string>? Deletes = null);
