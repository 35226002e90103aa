using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Pipeline;

public enum OutputFormat
{
    Table,
    Json,
    Prometheus,
}

/// <summary>A what-if node: "what if I add a node with this /proc/cpuinfo?"</summary>
public sealed record AssumedNode(string Name, string CpuInfoFile);

/// <summary>
/// The effective settings of one run: the configuration file with the command line's overrides applied.
/// Everything the pipeline needs, in one immutable record.
/// </summary>
public sealed record RunSettings
{
    /// <summary>Read everything from an offline snapshot folder or /etc/pve (--from).</summary>
    public string? From { get; init; }

    /// <summary>corosync.conf candidates, first existing wins (cluster.corosync_conf, then /etc/corosync/corosync.conf).</summary>
    public IReadOnlyList<string> CorosyncConf { get; init; } = ["/etc/pve/corosync.conf", "/etc/corosync/corosync.conf"];

    public string PveRoot { get; init; } = "/etc/pve";

    public string? LocalNode { get; init; }

    /// <summary>auto | ssh | api | local.</summary>
    public string FactsSource { get; init; } = "auto";

    public string LocalCpuInfo { get; init; } = "/proc/cpuinfo";

    public string? CacheFile { get; init; }

    public TimeSpan CacheMaxAge { get; init; } = TimeSpan.FromHours(1);

    public GuardPolicy Policy { get; init; } = new();

    public bool AllowPartial { get; init; }

    public IReadOnlyList<AssumedNode> AssumeNodes { get; init; } = [];

    public IReadOnlyList<string> WithoutNodes { get; init; } = [];

    public OutputFormat Format { get; init; } = OutputFormat.Table;

    public bool Verbose { get; init; }

    /// <summary>True when [api] url is configured: guests and (with facts.source auto) node facts come from the API.</summary>
    public bool HasApi { get; init; }

    /// <summary>fix.target: "level" (default), "named", or a CPU model name.</summary>
    public string FixTarget { get; init; } = "level";

    /// <summary>fix.include_running: plan running VMs too (their change waits in [PENDING]).</summary>
    public bool FixIncludeRunning { get; init; }

    /// <summary>fix.undo_dir: where plans (&lt;id&gt;.plan.json) and undo files (&lt;id&gt;.undo.jsonl) are kept.</summary>
    public string FixUndoDir { get; init; } = "/var/lib/proxclmc-guard/undo";
}
