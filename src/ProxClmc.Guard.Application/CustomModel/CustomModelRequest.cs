namespace ProxClmc.Guard.Application.CustomModel;

/// <summary>What <c>baseline --custom-model</c> was asked.</summary>
public sealed record CustomModelRequest
{
    public required string Name { get; init; }

    public bool PhysBits { get; init; }

    /// <summary><c>--apply</c> without an id: plan and write in one step.</summary>
    public bool Apply { get; init; }

    public string? ApplyPlanId { get; init; }

    public bool Replace { get; init; }
}
