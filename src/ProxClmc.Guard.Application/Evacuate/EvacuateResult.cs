using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Ha;

namespace ProxClmc.Guard.Application.Evacuate;

/// <summary>Where each VM of <see cref="Node"/> can go, and what HA maintenance mode would do with its HA guests.</summary>
public sealed record EvacuateResult(ScanResult Scan, string Node)
{
    /// <summary>The nodes the VMs may go to (every other node, or the one <c>--target</c>).</summary>
    public IReadOnlyList<string> Candidates { get; init; } = [];

    /// <summary>The VMs checked, by VM id.</summary>
    public IReadOnlyList<EvacuationEntry> Entries { get; init; } = [];

    /// <summary>VMs on the node that policy ignores (not checked).</summary>
    public IReadOnlyList<int> Ignored { get; init; } = [];

    /// <summary>Containers on the node (not checked: they move by restart).</summary>
    public IReadOnlyList<int> Containers { get; init; } = [];

    /// <summary>What <c>ha-manager crm-command node-maintenance enable</c> would do with each HA guest.</summary>
    public IReadOnlyList<HaEvacuation> Maintenance { get; init; } = [];

    /// <summary>HA resources maintenance mode cannot move safely (blocked or at risk).</summary>
    public IReadOnlyList<string> HaUnsafe { get; init; } = [];

    /// <summary>VMs no candidate can run.</summary>
    public IReadOnlyList<int> Stranded { get; init; } = [];

    /// <summary>VMs with no known safe target, for which some candidate cannot be told.</summary>
    public IReadOnlyList<int> Unknown { get; init; } = [];

    public EvacuateOutcome Outcome =>
        Stranded.Count > 0 ? EvacuateOutcome.Stranded
        : HaUnsafe.Count > 0 ? EvacuateOutcome.HaUnsafe
        : Unknown.Count > 0 ? EvacuateOutcome.Unknown
        : EvacuateOutcome.Safe;
}
