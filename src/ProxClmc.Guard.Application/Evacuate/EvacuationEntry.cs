using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Application.Evacuate;

/// <summary>
/// One VM of the node being emptied, with an answer per candidate node (a node outside its strict HA rule is
/// answered "not allowed") and its verdict in the scan.
/// </summary>
public sealed record EvacuationEntry(GuestConfig Guest, IReadOnlyList<MigrationAnswer> Answers, GuestVerdict? Verdict);
