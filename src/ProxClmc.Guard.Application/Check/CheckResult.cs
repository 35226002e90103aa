using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;

namespace ProxClmc.Guard.Application.Check;

/// <summary>
/// The answer of <c>check &lt;vmid&gt;</c>: one <see cref="MigrationAnswer"/> per node asked about, and the nodes
/// that decide the <see cref="Outcome"/> (without a target, nodes outside a strict HA rule do not count).
/// </summary>
public sealed record CheckResult(ScanResult Scan, GuestConfig Guest, IReadOnlyList<MigrationAnswer> Answers)
{
    /// <summary>The guest's verdict in the scan, when it has one.</summary>
    public GuestVerdict? Verdict { get; init; }

    /// <summary>Where HA may place the guest, when it is an HA resource.</summary>
    public GuestPlacement? Placement { get; init; }

    /// <summary>Nodes that count and cannot run it.</summary>
    public IReadOnlyList<string> Refused { get; init; } = [];

    /// <summary>Nodes that count where it cannot be told.</summary>
    public IReadOnlyList<string> Unknown { get; init; } = [];

    /// <summary>Nodes that count where it probably runs, unverified.</summary>
    public IReadOnlyList<string> Unverified { get; init; } = [];

    /// <summary>Answers of nodes that count that allow it with warnings.</summary>
    public IReadOnlyList<MigrationAnswer> Warned { get; init; } = [];

    public CheckOutcome Outcome =>
        Refused.Count > 0 ? CheckOutcome.Refused
        : Unknown.Count > 0 ? CheckOutcome.Unknown
        : Unverified.Count > 0 ? CheckOutcome.Unverified
        : Warned.Count > 0 ? CheckOutcome.CanRunWithWarnings
        : CheckOutcome.CanRun;
}
