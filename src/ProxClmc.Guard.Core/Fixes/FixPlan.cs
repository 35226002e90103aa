using System.Globalization;

namespace ProxClmc.Guard.Core.Fixes;

/// <summary>What <c>fix</c> rewrites unsafe guests to (<c>fix.target</c>, or <c>--to</c>).</summary>
public enum FixTargetKind
{
    /// <summary>The baseline level model (x86-64-v2-AES, ...): vendor-neutral, the default.</summary>
    Level,

    /// <summary>The best named model every node shares; none with mixed vendors.</summary>
    Named,

    /// <summary>An explicit model, which must itself be within the baseline.</summary>
    Model,

    /// <summary>
    /// Per guest, the richest CPU type every node it may run on can run: levels, named models and the custom models
    /// already defined, never below the cluster's level (<c>--to best</c>).
    /// </summary>
    Best,
}

public sealed record FixTarget(FixTargetKind Kind, string? ModelName = null)
{
    public static FixTarget Level { get; } = new(FixTargetKind.Level);

    public static FixTarget Named { get; } = new(FixTargetKind.Named);

    public static FixTarget Model(string name) => new(FixTargetKind.Model, name);

    public static FixTarget Best { get; } = new(FixTargetKind.Best);

    /// <summary>The <c>fix.target</c> spelling: "level", "named", or a model name.</summary>
    public static FixTarget Parse(string value) => value switch
    {
        "level" => Level,
        "named" => Named,
        _ => Model(value),
    };

    public override string ToString() => Kind switch
    {
        FixTargetKind.Level => "level",
        FixTargetKind.Named => "named",
        FixTargetKind.Best => "best",
        _ => ModelName ?? "",
    };
}

/// <summary>How to plan: the target, and which guests an administrator allows to be rewritten.</summary>
public sealed record FixOptions
{
    public FixTarget Target { get; init; } = FixTarget.Level;

    /// <summary>Rewrite guests that use a custom model (only when the administrator named a target with <c>--to</c>).</summary>
    public bool RewriteCustomModels { get; init; }

    /// <summary>Plan running VMs too; their change waits in [PENDING] until the next cold start.</summary>
    public bool IncludeRunning { get; init; }

    /// <summary>Replace <c>phys-bits=host</c> by the narrowest node's width.</summary>
    public bool FixPhysBits { get; init; }

    /// <summary>Only these VM ids (empty: every guest).</summary>
    public IReadOnlyList<int> VmIds { get; init; } = [];
}

/// <summary>
/// What a plan entry does. Each strategy adds its own typed action (the <c>cpu</c> strategy rewrites the
/// <c>cpu</c> property); the applier dispatches on it, and refuses an action it does not know.
/// </summary>
public enum FixAction
{
    /// <summary>Rewrite the <c>cpu</c> property to <see cref="FixPlanEntry.NewCpu"/>.</summary>
    Change,

    /// <summary>Left alone; <see cref="FixPlanEntry.Reason"/> says why.</summary>
    Skip,
}

/// <summary>One guest in a plan: what it has, what it gets (or why it is left alone), and the config digest it was planned against.</summary>
public sealed record FixPlanEntry
{
    public required int VmId { get; init; }

    public required string Node { get; init; }

    public string? Name { get; init; }

    /// <summary>The <c>cpu</c> line as it is; null when the VM has none (kvm64).</summary>
    public string? OldCpu { get; init; }

    /// <summary>The planned <c>cpu</c> value; null for skipped guests.</summary>
    public string? NewCpu { get; init; }

    /// <summary>The config digest the plan was made against; every write passes it back.</summary>
    public string? Digest { get; init; }

    public required FixAction Action { get; init; }

    /// <summary>The guest's verdict name before the fix (exceeds-baseline, host-cpu, ok, ...).</summary>
    public required string Verdict { get; init; }

    /// <summary>One line: what the change does, or why the guest is not rewritten.</summary>
    public required string Reason { get; init; }

    /// <summary><c>+flags</c> the new value leaves out because some node cannot run them (or they cannot be checked).</summary>
    public IReadOnlyList<string> DroppedFlags { get; init; } = [];

    /// <summary>The VM is running: the change lands in [PENDING] and takes effect at the next cold start.</summary>
    public bool Pending { get; init; }

    /// <summary>A skipped guest that stays unsafe (locked, running, args: -cpu, custom model, ...).</summary>
    public bool LeavesUnsafe { get; init; }
}

/// <summary>A fix plan: printed as a table, stored as JSON under <c>fix.undo_dir</c> for <c>--apply</c> and <c>--undo</c>.</summary>
public sealed record FixPlan
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>e.g. 20261123-130501-ab12: creation time (UTC) and four random hex digits.</summary>
    public required string Id { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The cluster CPU type when the plan was made.</summary>
    public required string Baseline { get; init; }

    /// <summary>"level", "named" or the model name, as asked (cpu plans; null for placement plans).</summary>
    public string? Target { get; init; }

    /// <summary>The model guests are rewritten to (cpu plans; null for placement plans).</summary>
    public string? TargetModel { get; init; }

    /// <summary>How the plan makes guests safe: "cpu" (rewrite their CPU type, <see cref="Entries"/>) or "placement" (<see cref="Placement"/>).</summary>
    public string Strategy { get; init; } = "cpu";

    /// <summary>The cluster the plan was made against (corosync's cluster name); a plan applies only there.</summary>
    public string? Cluster { get; init; }

    /// <summary>Where the plan's facts and configs came from (an API URL, /etc/pve, a snapshot folder).</summary>
    public string? Source { get; init; }

    /// <summary>The command-line filters and options the plan was made with, as typed (for the reader of the plan).</summary>
    public string? Request { get; init; }

    public required IReadOnlyList<FixPlanEntry> Entries { get; init; }

    /// <summary>
    /// Placement plans: the HA rules or groups to create, and the digests of the HA configuration they were planned
    /// against. <see cref="Entries"/> is empty then.
    /// </summary>
    public Core.Placement.PlacementPlan? Placement { get; init; }

    public IEnumerable<FixPlanEntry> ChangeEntries() => Entries.Where(e => e.Action == FixAction.Change);

    public IEnumerable<FixPlanEntry> UnsafeSkips() => Entries.Where(e => e.Action == FixAction.Skip && e.LeavesUnsafe);

    /// <summary>A plan id from the creation time and 16 random bits: sortable, and unique enough for one cluster.</summary>
    public static string NewId(DateTimeOffset now, int random) =>
        now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + (random & 0xFFFF).ToString("x4", CultureInfo.InvariantCulture);

    /// <summary>Plan ids name files: only the shape <see cref="NewId"/> makes is accepted.</summary>
    public static bool IsValidId(string id) =>
        id.Length == 20 &&
        id.Select((c, i) => i is 8 or 15 ? c == '-' : i < 15 ? char.IsAsciiDigit(c) : char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c)).All(ok => ok);
}

/// <summary>
/// One line of a plan's undo file, appended and flushed before the write it describes: enough to put the old value back.
/// </summary>
public sealed record FixUndoRecord
{
    public required int VmId { get; init; }

    public required string Node { get; init; }

    /// <summary>The value before the write; null when the VM had no <c>cpu</c> line (undo deletes it).</summary>
    public string? OldCpu { get; init; }

    public required string NewCpu { get; init; }

    public required DateTimeOffset Time { get; init; }

    /// <summary>
    /// The cluster the write went to (the plan's, corosync's cluster name); <c>fix --undo</c> refuses another
    /// cluster's records. Null in undo files written before it was recorded.
    /// </summary>
    public string? Cluster { get; init; }

    /// <summary>
    /// Null on the record written before a write. False on the record that follows a write that was refused
    /// (digest mismatch, lock) or failed: that attempt changed nothing, and undo has nothing to put back for it.
    /// </summary>
    public bool? Written { get; init; }
}

/// <summary>The target model cannot be used in this cluster (no shared named model, or a node cannot run it).</summary>
public sealed class FixTargetException(string message) : Exception(message);
