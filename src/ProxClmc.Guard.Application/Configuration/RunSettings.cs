using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Application.Configuration;

/// <summary>
/// The effective settings of one run: the configuration file with the command line's overrides applied.
/// Everything the pipeline needs, in one immutable record.
/// </summary>
public sealed record RunSettings
{
    /// <summary>The loaded configuration file (or the built-in defaults), for adapter settings ([ssh], [api], [report], ...).</summary>
    public GuardConfig Config { get; init; } = GuardConfig.Default;

    /// <summary>The configuration file that was read, or null when the built-in defaults are in use.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>Read everything from an offline snapshot folder or /etc/pve (--from).</summary>
    public string? From { get; init; }

    /// <summary>corosync.conf candidates, first existing wins (cluster.corosync_conf, then /etc/corosync/corosync.conf).</summary>
    public IReadOnlyList<string> CorosyncConf { get; init; } = ["/etc/pve/corosync.conf", "/etc/corosync/corosync.conf"];

    public string PveRoot { get; init; } = "/etc/pve";

    public string? LocalNode { get; init; }

    /// <summary>facts.source: auto, ssh, api or local.</summary>
    public FactsSourceMode FactsSource { get; init; } = FactsSourceMode.Auto;

    public string LocalCpuInfo { get; init; } = "/proc/cpuinfo";

    public string? CacheFile { get; init; }

    /// <summary>[facts] qemu_binary: the QEMU asked for this node's answer under KVM (null: /usr/bin/kvm, then PATH).</summary>
    public string? QemuBinary { get; init; }

    public TimeSpan CacheMaxAge { get; init; } = TimeSpan.FromHours(1);

    public GuardPolicy Policy { get; init; } = new();

    public bool AllowPartial { get; init; }

    public IReadOnlyList<AssumedNode> AssumeNodes { get; init; } = [];

    public IReadOnlyList<string> WithoutNodes { get; init; } = [];

    public OutputFormat Format { get; init; } = OutputFormat.Table;

    public bool Verbose { get; init; }

    /// <summary>[hook] block_unsafe_start: also refuse plain starts on a node that cannot run the guest.</summary>
    public bool HookBlockUnsafeStart { get; init; }

    /// <summary>[hook] fail_closed: refuse when the hook itself fails or runs out of time (default: log and allow).</summary>
    public bool HookFailClosed { get; init; }

    /// <summary>[hook] chain: another hookscript to run after the check, whose exit code is passed through.</summary>
    public string? HookChain { get; init; }

    /// <summary>[hook] allow_foreign_host_cpu: allow host/max guests arriving by a remote migration.</summary>
    public bool HookAllowForeignHostCpu { get; init; }

    /// <summary>
    /// These settings describe another cluster (--to-cluster): nothing of this host stands in for its nodes (no
    /// local cpuinfo or QEMU, no published facts or cpu-models.conf under this host's pve_root, no state cache).
    /// </summary>
    public bool IsRemote { get; init; }

    /// <summary>How output names the cluster these settings read: the remote's name, or null for this cluster.</summary>
    public string? RemoteName { get; init; }

    /// <summary>
    /// The state file a scan compares with and records (<c>scan --state</c>, else [history] state_file, else
    /// &lt;pve_root&gt;/proxclmc-guard/state.json on a node); null: no state (a --from run without --state).
    /// </summary>
    public string? StateFile { get; init; }

    /// <summary>True when [api] url is configured: guests and (with facts.source auto) node facts come from the API.</summary>
    public bool HasApi { get; init; }
}
