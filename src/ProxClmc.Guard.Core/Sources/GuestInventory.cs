using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Core.Sources;

/// <summary>All guests of the cluster plus the cluster-wide custom CPU models (cpu-models.conf text, if any).</summary>
public sealed record GuestInventory(IReadOnlyList<GuestConfig> Guests, string? CustomCpuModelsText, string? CustomCpuModelsOrigin = null)
{
    /// <summary>The HA resources, groups and rules (ha/*.cfg or /cluster/ha/*); empty when HA is not used.</summary>
    public Ha.HaConfig Ha { get; init; } = Core.Ha.HaConfig.Empty;

    /// <summary>Custom models (bare names) known to exist without a readable definition, with the reason (see <see cref="CustomCpuModels.UnresolvedModels"/>).</summary>
    public IReadOnlyDictionary<string, string> UnresolvedCustomModels { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Nodes whose guests were not read (down or unreachable), with the reason: the answer is partial.</summary>
    public IReadOnlyDictionary<string, string> UnreadNodes { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Things the reader wants said on this run (a token that sees only some guests, a missing endpoint).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
