namespace ProxClmc.Guard.Core.History;

/// <summary>The kinds of <see cref="CpuChange"/>, as JSON, the journal and the metrics name them.</summary>
public static class CpuChangeKind
{
    public const string NodeLostFlags = "node-lost-flags";
    public const string NodeGainedFlags = "node-gained-flags";
    public const string NodeJoined = "node-joined";
    public const string NodeLeft = "node-left";
    public const string NodeLevelChanged = "node-level-changed";
    public const string BaselineChanged = "baseline-changed";
    public const string GuestVerdictChanged = "guest-verdict-changed";
    public const string NodeSoftwareChanged = "node-software-changed";

    /// <summary>Every kind, in the order a report lists them.</summary>
    public static IReadOnlyList<string> All { get; } =
        [BaselineChanged, NodeLostFlags, NodeLevelChanged, NodeLeft, NodeJoined, NodeGainedFlags, NodeSoftwareChanged, GuestVerdictChanged];
}

/// <summary>A value that changed between two scans: <c>[from, to]</c> in JSON; null stands for "not known".</summary>
public sealed record ValueChange(string? From, string? To);

/// <summary>The software beside a node's CPU that changed between two scans (null: unchanged or not known).</summary>
public sealed record SoftwareChange(ValueChange? Kernel, ValueChange? Microcode, ValueChange? Qemu)
{
    public bool IsEmpty => Kernel is null && Microcode is null && Qemu is null;

    /// <summary>"kernel 6.8.12-4-pve → 6.8.12-8-pve, microcode 0x718 → 0x71a", or "" when nothing changed.</summary>
    public string Describe() => string.Join(", ", new[] { ("kernel", Kernel), ("microcode", Microcode), ("QEMU", Qemu) }
        .Where(p => p.Item2 is not null)
        .Select(p => $"{p.Item1} {p.Item2!.From ?? "?"} → {p.Item2.To ?? "?"}"));
}

/// <summary>
/// One change of the cluster's CPU between the previous recorded scan (<see cref="Since"/>) and this one
/// (<see cref="At"/>). Which fields are set depends on <see cref="Kind"/> (see <see cref="CpuChangeKind"/>):
/// <list type="bullet">
/// <item><c>node-lost-flags</c>, <c>node-gained-flags</c>: <see cref="Node"/>, <see cref="Flags"/>, <see cref="Software"/> when it changed too;</item>
/// <item><c>node-joined</c>, <c>node-left</c>: <see cref="Node"/>;</item>
/// <item><c>node-level-changed</c>: <see cref="Node"/>, <see cref="From"/>/<see cref="To"/> (levels), <see cref="NamedFrom"/>/<see cref="NamedTo"/>;</item>
/// <item><c>baseline-changed</c>: <see cref="From"/>/<see cref="To"/>, <see cref="NamedFrom"/>/<see cref="NamedTo"/>;</item>
/// <item><c>guest-verdict-changed</c>: <see cref="VmId"/>, <see cref="From"/>/<see cref="To"/> (verdicts), <see cref="Node"/> (where the guest is);</item>
/// <item><c>node-software-changed</c>: <see cref="Node"/>, <see cref="Software"/>.</item>
/// </list>
/// </summary>
public sealed record CpuChange
{
    public required string Kind { get; init; }

    /// <summary>When the state compared with was recorded.</summary>
    public required DateTimeOffset Since { get; init; }

    /// <summary>When the scan that found the change ran.</summary>
    public required DateTimeOffset At { get; init; }

    public string? Node { get; init; }

    /// <summary>Guest-visible CPU features (cpuinfo spelling), most important first.</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];

    public SoftwareChange? Software { get; init; }

    public string? From { get; init; }

    public string? To { get; init; }

    public string? NamedFrom { get; init; }

    public string? NamedTo { get; init; }

    public int? VmId { get; init; }

    /// <summary>
    /// Something the cluster can no longer do: a node lost flags, a node or the baseline went down a level, a guest
    /// became unsafe. Logged as a warning; the others at notice.
    /// </summary>
    public bool IsLoss { get; init; }

    /// <summary>A node level or the baseline went down, or a node lost a flag some guest's CPU type uses: the run exits at least 1.</summary>
    public bool IsWarning { get; init; }

    /// <summary>One line for a table, a log message or the history.</summary>
    public string Describe()
    {
        var software = Software is { IsEmpty: false } s ? $" ({s.Describe()})" : "";
        var named = NamedFrom != NamedTo ? $"; best named model {NamedFrom ?? "none"} → {NamedTo ?? "none"}" : "";
        return Kind switch
        {
            CpuChangeKind.NodeLostFlags => $"{Node} lost {string.Join(", ", Flags)}{software}",
            CpuChangeKind.NodeGainedFlags => $"{Node} gained {string.Join(", ", Flags)}{software}",
            CpuChangeKind.NodeJoined => $"{Node} joined the cluster",
            CpuChangeKind.NodeLeft => $"{Node} left the cluster",
            CpuChangeKind.NodeLevelChanged => From == To ? $"{Node}: best named model {NamedFrom ?? "none"} → {NamedTo ?? "none"}" : $"{Node}: level {From} → {To}{named}",
            CpuChangeKind.BaselineChanged => From == To ? $"cluster baseline: best named model {NamedFrom ?? "none"} → {NamedTo ?? "none"}" : $"cluster baseline {From} → {To}{named}",
            CpuChangeKind.GuestVerdictChanged => $"VM {VmId}{(Node is null ? "" : $" on {Node}")}: {From} → {To}",
            CpuChangeKind.NodeSoftwareChanged => $"{Node}: {Software?.Describe()}, no CPU flag changed",
            _ => Kind,
        };
    }
}
