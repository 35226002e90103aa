using ProxClmc.Guard.Core.Policy;

namespace ProxClmc.Guard.Application.Configuration;

/// <summary>
/// Everything in proxclmc-guard.toml. Every property has the default a fresh Proxmox node needs, so a node
/// without a configuration file runs with <see cref="Default"/>. Immutable: command-line overrides use <c>with</c>.
/// </summary>
public sealed record GuardConfig
{
    /// <summary>Where the tool looks when <c>--config</c> is not given; a missing file there means "all defaults".</summary>
    public const string DefaultPath = "/etc/proxclmc-guard/proxclmc-guard.toml";

    public static GuardConfig Default { get; } = new();

    public ClusterSettings Cluster { get; init; } = new();

    public FactsSettings Facts { get; init; } = new();

    public SshSettings Ssh { get; init; } = new();

    public ApiSettings Api { get; init; } = new();

    public PolicySettings Policy { get; init; } = new();

    public FixSettings Fix { get; init; } = new();

    public DaemonSettings Daemon { get; init; } = new();

    public ReportSettings Report { get; init; } = new();

    public HistorySettings History { get; init; } = new();

    public HookSettings Hook { get; init; } = new();

    /// <summary>The <c>[remote.&lt;name&gt;]</c> sections: other clusters <c>--to-cluster &lt;name&gt;</c> can name.</summary>
    public ConfigList<RemoteSettings> Remotes { get; init; } = ConfigList.From<RemoteSettings>([]);

    /// <summary>The <c>[remote.&lt;name&gt;]</c> section of that name, or null.</summary>
    public RemoteSettings? FindRemote(string name) => Remotes.FirstOrDefault(r => r.Name == name);

    /// <summary>
    /// The <c>[remote.&lt;name&gt;]</c> section being read: the loader applies that section's keys here, on a copy of
    /// <see cref="Default"/> of its own, then files the result under <see cref="Remotes"/>.
    /// </summary>
    public RemoteSettings Remote { get; init; } = new();

    /// <summary>
    /// Fills in <c>cluster.local_node</c> when the file leaves it unset: this host's short name (the part of
    /// <paramref name="hostName"/> before the first dot), which is the name Proxmox gives the node.
    /// </summary>
    public GuardConfig WithLocalNodeDefault(string hostName)
    {
        if (Cluster.LocalNode is not null)
        {
            return this;
        }

        var dot = hostName.IndexOf('.', StringComparison.Ordinal);
        return this with { Cluster = Cluster with { LocalNode = dot > 0 ? hostName[..dot] : hostName } };
    }

    /// <summary>The <c>[policy]</c> section as the Core judges guests with it.</summary>
    public GuardPolicy ToPolicy() => new()
    {
        Baseline = Policy.Baseline,
        StrictVendor = Policy.StrictVendor,
        IgnoreTags = Policy.IgnoreTags,
        IgnoreVmIds = Policy.IgnoreVmIds,
        HostCpu = Policy.HostCpu,
    };
}

/// <summary><c>[cluster]</c>: where the cluster's own files are.</summary>
public sealed record ClusterSettings
{
    /// <summary>Proxmox keeps the cluster-wide copy in pmxcfs; a node's local copy is the fallback (pmxcfs not mounted).</summary>
    public static ConfigList<string> DefaultCorosyncConfPaths { get; } = ["/etc/pve/corosync.conf", "/etc/corosync/corosync.conf"];

    /// <summary>An explicit corosync.conf; null means "try <see cref="DefaultCorosyncConfPaths"/> in order".</summary>
    public string? CorosyncConf { get; init; }

    /// <summary>The files to try, in order: the explicit one, or the two Proxmox locations.</summary>
    public ConfigList<string> CorosyncConfCandidates => CorosyncConf is null ? DefaultCorosyncConfPaths : [CorosyncConf];

    public string PveRoot { get; init; } = "/etc/pve";

    /// <summary>This node's name as corosync knows it; null means "this host's short host name" (the caller resolves it).</summary>
    public string? LocalNode { get; init; }
}

/// <summary>How node CPU facts are read.</summary>
public enum FactsSourceMode
{
    /// <summary>API when credentials are configured, else SSH; the local node is always read from its own /proc/cpuinfo.</summary>
    Auto,
    Ssh,
    Api,

    /// <summary>Only this node (what the hook uses on the migration target).</summary>
    Local,
}

/// <summary><c>[facts]</c>: where each node's CPU description comes from, and how long a cached copy is trusted.</summary>
public sealed record FactsSettings
{
    public FactsSourceMode Source { get; init; } = FactsSourceMode.Auto;

    public string LocalCpuinfo { get; init; } = "/proc/cpuinfo";

    /// <summary>The QEMU asked for this node's answer under KVM; null: /usr/bin/kvm, then qemu-system-x86_64 on PATH.</summary>
    public string? QemuBinary { get; init; }

    public string CacheFile { get; init; } = "/var/lib/proxclmc-guard/facts-cache.json";

    /// <summary>0 means never answer from the cache.</summary>
    public int MaxAgeSeconds { get; init; } = 3600;

    public TimeSpan MaxAge => TimeSpan.FromSeconds(MaxAgeSeconds);
}

/// <summary><c>[ssh]</c>: how other nodes are reached for their /proc/cpuinfo.</summary>
public sealed record SshSettings
{
    /// <summary>The placeholder in <see cref="KnownHosts"/> replaced by the name of the node being connected to.</summary>
    public const string NodePlaceholder = "{node}";

    public string User { get; init; } = "root";

    public int Port { get; init; } = 22;

    public string IdentityFile { get; init; } = "/root/.ssh/id_rsa";

    /// <summary>
    /// Proxmox's cluster-wide known_hosts, then the per-node file PVE 8 and later write for each node's host key.
    /// </summary>
    public ConfigList<string> KnownHosts { get; init; } = ["/etc/pve/priv/known_hosts", "/etc/pve/nodes/{node}/ssh_known_hosts", "/root/.ssh/known_hosts"];

    public int ConnectTimeoutSeconds { get; init; } = 5;

    public int CommandTimeoutSeconds { get; init; } = 10;

    /// <summary>
    /// Nodes read at once: 64, so a cluster of up to 64 nodes (corosync's practical size) is read in one wave. Each
    /// connection is idle most of its life (waiting for the node), holds one socket, and its memory is bounded by the
    /// output and stderr limits.
    /// </summary>
    public int Parallelism { get; init; } = 64;

    public TimeSpan ConnectTimeout => TimeSpan.FromSeconds(ConnectTimeoutSeconds);

    public TimeSpan CommandTimeout => TimeSpan.FromSeconds(CommandTimeoutSeconds);

    /// <summary>The known_hosts files to check a node's host key against, with <c>{node}</c> filled in.</summary>
    public IReadOnlyList<string> KnownHostsFor(string node) =>
        KnownHosts.Select(p => p.Replace(NodePlaceholder, node, StringComparison.Ordinal)).ToArray();
}

/// <summary><c>[api]</c>: the Proxmox VE API. Secrets are only ever read from the files named here.</summary>
public sealed record ApiSettings
{
    public static Uri DefaultUrl { get; } = new("https://localhost:8006");

    /// <summary>Tried in order; the first that answers is used.</summary>
    public ConfigList<Uri> Urls { get; init; } = [DefaultUrl];

    /// <summary><c>user@realm!tokenname</c>.</summary>
    public string? TokenId { get; init; }

    public string? TokenSecretFile { get; init; }

    /// <summary><c>user@realm</c>, for ticket login.</summary>
    public string? Username { get; init; }

    public string? PasswordFile { get; init; }

    public string CaFile { get; init; } = "/etc/pve/pve-root-ca.pem";

    /// <summary>SHA-256 certificate fingerprint, upper-case hex pairs joined by ':' (as <c>pvenode cert info</c> prints it).</summary>
    public string? Fingerprint { get; init; }

    public bool InsecureSkipVerify { get; init; }

    /// <summary>
    /// The HTTP(S) proxy to reach the API through; null (the default) means none. The environment's HTTPS_PROXY and
    /// friends are never used: a variable set for something else must not route the API token through another host.
    /// </summary>
    public Uri? Proxy { get; init; }

    public int TimeoutSeconds { get; init; } = 10;

    public int Parallelism { get; init; } = 8;

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);

    public bool HasTokenAuth => TokenId is not null && TokenSecretFile is not null;

    public bool HasPasswordAuth => Username is not null && PasswordFile is not null;

    public bool HasCredentials => HasTokenAuth || HasPasswordAuth;
}

/// <summary><c>[policy]</c>: how strictly guests are judged (mapped to the Core's <see cref="GuardPolicy"/>).</summary>
public sealed record PolicySettings
{
    /// <summary>"auto" or a pinned CPU model name.</summary>
    public string Baseline { get; init; } = "auto";

    public bool StrictVendor { get; init; } = true;

    public ConfigList<string> IgnoreTags { get; init; } = ["proxclmc-ignore"];

    public ConfigList<int> IgnoreVmIds { get; init; } = [];

    public HostCpuPolicy HostCpu { get; init; } = HostCpuPolicy.AllowIdentical;

    public bool IsPinned => !string.Equals(Baseline, "auto", StringComparison.Ordinal);
}

public enum FixTargetKind
{
    /// <summary>The cluster's highest x86-64 level.</summary>
    Level,

    /// <summary>The best named model every node shares (falls back to the level when vendors are mixed).</summary>
    Named,

    /// <summary>An explicit model (<see cref="FixSettings.Target"/>).</summary>
    Model,
}

/// <summary><c>[fix]</c>: what <c>fix</c> rewrites unsafe guests to.</summary>
public sealed record FixSettings
{
    /// <summary>"level", "named", or a CPU model name.</summary>
    public string Target { get; init; } = "level";

    public FixTargetKind TargetKind => Target switch
    {
        "level" => FixTargetKind.Level,
        "named" => FixTargetKind.Named,
        _ => FixTargetKind.Model,
    };

    public bool IncludeRunning { get; init; }

    /// <summary>"cpu" (lower the cpu) or "placement" (pin HA guests with strict HA rules).</summary>
    public string Strategy { get; init; } = "cpu";

    public string UndoDir { get; init; } = "/var/lib/proxclmc-guard/undo";

    /// <summary><c>fix --apply &lt;plan-id&gt;</c> refuses a plan older than this.</summary>
    public int PlanMaxAgeSeconds { get; init; } = 3600;

    public TimeSpan PlanMaxAge => TimeSpan.FromSeconds(PlanMaxAgeSeconds);
}

/// <summary><c>[daemon]</c>: the long-running worker.</summary>
public sealed record DaemonSettings
{
    public int IntervalSeconds { get; init; } = 3600;

    public TimeSpan Interval => TimeSpan.FromSeconds(IntervalSeconds);
}

/// <summary><c>[report]</c>: files written after each scan; null turns one off.</summary>
public sealed record ReportSettings
{
    public string? JsonFile { get; init; } = "/var/lib/proxclmc-guard/report.json";

    public string? PrometheusTextfile { get; init; } = "/var/lib/prometheus/node-exporter/proxclmc_guard.prom";

    /// <summary>The HTML page; off unless set.</summary>
    public string? HtmlFile { get; init; }
}

/// <summary><c>[history]</c>: where each scan records the cluster's CPU, to tell the next scan what changed.</summary>
public sealed record HistorySettings
{
    /// <summary>The state file; null: <c>&lt;pve_root&gt;/proxclmc-guard/state.json</c> on a node (pmxcfs, so any node's next scan reads it).</summary>
    public string? StateFile { get; init; }
}

/// <summary><c>[hook]</c>: the hookscript's behaviour.</summary>
public sealed record HookSettings
{
    public bool BlockUnsafeStart { get; init; }

    public bool FailClosed { get; init; }

    /// <summary>The hookscript this one replaced, run after the check: an absolute path or a volume id such as <c>local:snippets/old-hook.pl</c>.</summary>
    public string? Chain { get; init; }

    /// <summary>Allow host/max guests that arrive by a remote migration, whose source CPU this cluster cannot know.</summary>
    public bool AllowForeignHostCpu { get; init; }
}

/// <summary>
/// <c>[remote.&lt;name&gt;]</c>: another cluster, reached through its API (url, token, CA or fingerprint) or read from a
/// folder (its <c>/etc/pve</c> copy or a snapshot: pve_root or from).
/// </summary>
public sealed record RemoteSettings
{
    public string Name { get; init; } = "";

    public ConfigList<Uri> Urls { get; init; } = ConfigList.From<Uri>([]);

    public string? TokenId { get; init; }

    public string? TokenSecretFile { get; init; }

    public string? CaFile { get; init; }

    public string? Fingerprint { get; init; }

    /// <summary>pve_root: the other cluster's /etc/pve (or a copy), read like --from.</summary>
    public string? PveRoot { get; init; }

    /// <summary>from: a snapshot folder of the other cluster.</summary>
    public string? From { get; init; }
}
