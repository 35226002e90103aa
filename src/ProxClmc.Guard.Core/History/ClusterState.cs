using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;

namespace ProxClmc.Guard.Core.History;

/// <summary>What one node's CPU was at a recorded scan. <see cref="Readable"/> false: the node was listed but not read.</summary>
public sealed record NodeState
{
    public required string Node { get; init; }

    public bool Readable { get; init; } = true;

    /// <summary>Guest-visible CPU features only (the catalog's QEMU features, never kernel bookkeeping), cpuinfo spelling, sorted.</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];

    public string? Vendor { get; init; }

    public int? Family { get; init; }

    public int? Model { get; init; }

    public int? Stepping { get; init; }

    public string? Microcode { get; init; }

    public string? Kernel { get; init; }

    public string? Qemu { get; init; }

    /// <summary>The level's name (x86-64-v3, kvm64, qemu64, none).</summary>
    public string Level { get; init; } = "none";

    public string? Named { get; init; }

    /// <summary>Where the facts came from (ssh, api, published, snapshot, ...).</summary>
    public string Source { get; init; } = "";

    /// <summary>Which source judged the node's models: qemu, cpuinfo+kvm-flags or cpuinfo.</summary>
    public string JudgedBy { get; init; } = "cpuinfo";
}

/// <summary>
/// The cluster's CPU as one scan saw it, plus the changes recorded so far (newest first, at most
/// <see cref="MaxHistory"/>). Written after each scan and compared with by the next one.
/// </summary>
public sealed record ClusterState
{
    /// <summary>The history keeps this many changes; older ones are dropped.</summary>
    public const int MaxHistory = 200;

    public required string? ClusterName { get; init; }

    public required DateTimeOffset RecordedAt { get; init; }

    public required IReadOnlyList<NodeState> Nodes { get; init; }

    public required string BaselineLevel { get; init; }

    public string? BaselineNamed { get; init; }

    /// <summary>True when some node could not be read: the baseline and the verdicts are not compared then.</summary>
    public bool BaselinePartial { get; init; }

    /// <summary>Each guest's verdict name, by VM id.</summary>
    public required IReadOnlyDictionary<int, string> Guests { get; init; }

    /// <summary>Where each guest was (for the change's text); not written to the file.</summary>
    public IReadOnlyDictionary<int, string> GuestNodes { get; init; } = new Dictionary<int, string>();

    /// <summary>The recorded changes, newest first.</summary>
    public IReadOnlyList<CpuChange> History { get; init; } = [];

    /// <summary>The state of one scan: every node of <paramref name="baseline"/>, its verdicts, and no history yet.</summary>
    public static ClusterState Of(string? clusterName, ClusterBaseline baseline, ComplianceReport report, CpuCatalog catalog, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(report);
        var visible = ComplianceEvaluator.GuestVisibleFeatures.Of(catalog);
        var nodes = baseline.Nodes.Select(n => NodeOf(n, visible)).ToList();
        var guests = new Dictionary<int, string>();
        var where = new Dictionary<int, string>();
        foreach (var verdict in report.Verdicts)
        {
            // A VM id listed twice (a broken pmxcfs) keeps its first verdict.
            if (guests.TryAdd(verdict.Guest.VmId, verdict.Verdict.Name()))
            {
                where[verdict.Guest.VmId] = verdict.Guest.Node;
            }
        }

        return new ClusterState
        {
            ClusterName = clusterName,
            RecordedAt = now,
            Nodes = nodes,
            BaselineLevel = CpuCatalog.LevelName(baseline.Level),
            BaselineNamed = baseline.NamedModel?.Name,
            BaselinePartial = baseline.IsPartial,
            Guests = guests,
            GuestNodes = where,
        };
    }

    private static NodeState NodeOf(NodeCapability node, ComplianceEvaluator.GuestVisibleFeatures visible)
    {
        var facts = node.Facts;
        if (facts.Cpu is not { } cpu || facts.IsStale)
        {
            return new NodeState { Node = node.Node, Readable = false };
        }

        return new NodeState
        {
            Node = node.Node,
            Flags = cpu.Flags.Where(visible.Contains).Order(StringComparer.Ordinal).ToList(),
            Vendor = cpu.VendorId.Length > 0 ? cpu.VendorId : null,
            Family = cpu.Family,
            Model = cpu.Model,
            Stepping = cpu.Stepping,
            Microcode = cpu.Microcode,
            Kernel = facts.Kernel,
            Qemu = facts.Qemu?.Version,
            Level = CpuCatalog.LevelName(node.Level),
            Named = node.BestNamedModel?.Name,
            Source = facts.Source.ToString().ToLowerInvariant(),
            JudgedBy = facts.JudgedBy,
        };
    }

    /// <summary>-1 below kvm64 (qemu64 or none), 0 kvm64, 1 x86-64-v2, 2 x86-64-v2-AES, 3 x86-64-v3, 4 x86-64-v4: the metric's scale.</summary>
    public static int LevelNumber(CpuLevel level) => level switch
    {
        CpuLevel.Kvm64 => 0,
        CpuLevel.V2 => 1,
        CpuLevel.V2Aes => 2,
        CpuLevel.V3 => 3,
        CpuLevel.V4 => 4,
        _ => -1,
    };

    /// <summary>As <see cref="LevelNumber(CpuLevel)"/> for a level's name; -1 for a name that is not a level.</summary>
    public static int LevelNumber(string? levelName) =>
        levelName is not null && CpuCatalog.TryParseLevel(levelName, out var level) ? LevelNumber(level) : -1;
}
