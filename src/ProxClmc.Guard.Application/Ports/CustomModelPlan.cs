namespace ProxClmc.Guard.Application.Ports;

/// <summary>A saved plan for one custom model: exactly what <c>--apply &lt;plan-id&gt;</c> writes, and the digest it was made against.</summary>
public sealed record CustomModelPlan
{
    public required string Id { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public string? Cluster { get; init; }

    public required string Name { get; init; }

    public required string Section { get; init; }

    public required IReadOnlyList<KeyValuePair<string, string>> Properties { get; init; }

    /// <summary>create or replace.</summary>
    public required string Action { get; init; }

    public required string Digest { get; init; }

    public string? Existing { get; init; }
}
