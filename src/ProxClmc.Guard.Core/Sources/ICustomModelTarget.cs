namespace ProxClmc.Guard.Core.Sources;

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
