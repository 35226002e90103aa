using ProxClmc.Guard.Core.Placement;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>
/// Reads and writes the cluster's HA rules (PVE 9) or groups (PVE 8) for a placement fix. Creating and removing a
/// rule or group takes no digest in Proxmox, so the use case guards each write by reading the configuration's
/// digests right before it (<see cref="ReadAsync"/>) and removes only what is still exactly as written.
/// Failures are <see cref="Core.Sources.SourceUnavailableException"/>, <see cref="System.Net.Http.HttpRequestException"/> or <see cref="IOException"/>.
/// </summary>
public interface IHaWriter
{
    /// <summary>PVE 9 has HA rules; PVE 8 has groups.</summary>
    Task<bool> UsesRulesAsync(CancellationToken cancellationToken);

    /// <summary>The HA resources and rules (or groups) with their digests.</summary>
    Task<HaWriteState> ReadAsync(bool usesRules, CancellationToken cancellationToken);

    /// <summary>
    /// Whether <paramref name="after"/> is <paramref name="before"/> with exactly what <see cref="CreateAsync"/> wrote
    /// for <paramref name="entry"/>, so nobody else wrote in between.
    /// </summary>
    bool OnlyWritten(HaWriteState before, HaWriteState after, PlacementEntry entry);

    /// <summary>Creates the entry's strict node-affinity rule, or its restricted group with the guest in it.</summary>
    Task CreateAsync(PlacementEntry entry, string planId, CancellationToken cancellationToken);

    /// <summary>Whether the rule or group is still what <see cref="CreateAsync"/> wrote.</summary>
    Task<HaEntryState> StateAsync(bool isRule, string id, string sid, IReadOnlyList<string> nodes, CancellationToken cancellationToken);

    /// <summary>Removes the rule, or takes the guest out of the group and removes the group.</summary>
    Task RemoveAsync(bool isRule, string id, string sid, CancellationToken cancellationToken);
}
