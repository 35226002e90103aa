using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Core.Sources;

/// <summary>Who is in the cluster: corosync.conf (file or snapshot), or the API's /cluster/status.</summary>
public interface IMembershipSource
{
    Task<ClusterMembership> GetMembershipAsync(CancellationToken cancellationToken);
}

/// <summary>One <see cref="NodeFacts"/> per member node, readable or with the reason it is not. Never throws for one bad node.</summary>
public interface INodeFactsSource
{
    Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken);
}

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

public interface IGuestSource
{
    Task<GuestInventory> GetGuestsAsync(CancellationToken cancellationToken);
}

/// <summary>The outcome of one config write.</summary>
public enum WriteOutcome
{
    Written,
    DigestMismatch,
    Locked,
    Failed,
}

public sealed record WriteResult(WriteOutcome Outcome, string? Message = null, bool Pending = false);

/// <summary>The cluster's cpu-models.conf as a writer sees it: its digest (empty when it cannot be known) and its text.</summary>
public sealed record CustomModelsFile(string Digest, string Text);

/// <summary>
/// Where <c>baseline --custom-model --apply</c> writes a model: the Proxmox API (9.1.15+) or cpu-models.conf on a node.
/// Every write names the digest the plan was made against and writes nothing when the file changed since.
/// </summary>
public interface ICustomModelTarget
{
    /// <summary>For messages: "the Proxmox API at ..." or the file's path.</summary>
    string Description { get; }

    Task<CustomModelsFile> ReadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Adds the model (<paramref name="replace"/> false) or replaces the model of that name, only while the file's
    /// digest is still <paramref name="digest"/>. <paramref name="properties"/> are the section's keys and values.
    /// </summary>
    Task<WriteResult> WriteAsync(string name, IReadOnlyList<KeyValuePair<string, string>> properties, bool replace, string digest, CancellationToken cancellationToken);
}

/// <summary>Changes one VM's <c>cpu</c>, always with the digest it was planned against.</summary>
public interface IGuestWriter
{
    Task<WriteResult> SetCpuAsync(string node, int vmId, string newCpu, string digest, CancellationToken cancellationToken);

    Task<GuestConfig?> ReadGuestAsync(string node, int vmId, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the <c>cpu</c> line (back to kvm64), digest-guarded: <c>fix --undo</c> of a VM that had none.
    /// Proxmox: PUT .../config with <c>delete=cpu&amp;digest=...</c>. The default answers Failed, for writers that cannot.
    /// </summary>
    Task<WriteResult> DeleteCpuAsync(string node, int vmId, string digest, CancellationToken cancellationToken) =>
        Task.FromResult(new WriteResult(WriteOutcome.Failed, "this writer cannot delete the cpu option"));
}
