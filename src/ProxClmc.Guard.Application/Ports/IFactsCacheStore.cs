using ProxClmc.Guard.Core.Cpu;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>
/// The facts cache (<c>facts.cache_file</c>): each node's last facts read live, with the identity of the machine they
/// were read from (its SSH host key as Proxmox keeps it).
/// </summary>
public interface IFactsCacheStore
{
    /// <summary>Records fresh facts read now and writes the cache; a problem writing it is returned as one line, never thrown.</summary>
    Task<string?> RecordAsync(IReadOnlyList<NodeFacts> fresh, CancellationToken cancellationToken);

    /// <summary>
    /// The node's last facts when no older than <paramref name="maxAge"/> (null: any age) and recorded for the machine
    /// that answers to the node's name now; otherwise false.
    /// </summary>
    bool TryGetSameMachine(string node, TimeSpan? maxAge, DateTimeOffset now, out NodeFacts facts);
}
