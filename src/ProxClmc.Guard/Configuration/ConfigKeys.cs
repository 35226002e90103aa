using System.Text.RegularExpressions;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Configuration;

/// <summary>
/// Every key of proxclmc-guard.toml, in the order the documented file lists them. The loader checks values with
/// these entries, and tools/gen-docs writes the documented proxclmc-guard.toml, the man page's configuration
/// section and the README's key table from them (a test fails when the checked-in files differ).
/// A new key is added here and nowhere else, apart from its property in <see cref="GuardConfig"/>.
/// </summary>
internal static partial class ConfigKeys
{
    // Proxmox node names: pve-node format (a host name label).
    [GeneratedRegex("^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")]
    private static partial Regex NodeNameRegex();

    // Proxmox's tag format (PVE::JSONSchema pve-tag).
    [GeneratedRegex("^[a-zA-Z0-9_][a-zA-Z0-9_+.-]*$")]
    private static partial Regex TagRegex();

    // CPU model names as qemu-server accepts them, including custom-<name>.
    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$")]
    internal static partial Regex ModelNameRegex();

    // user@realm, as Proxmox writes user ids.
    [GeneratedRegex(@"^[^\s:/@!]+@[A-Za-z][A-Za-z0-9.\-_]*$")]
    private static partial Regex UserIdRegex();

    // user@realm!tokenname.
    [GeneratedRegex(@"^[^\s:/@!]+@[A-Za-z][A-Za-z0-9.\-_]*![A-Za-z][A-Za-z0-9.\-_]*$")]
    private static partial Regex TokenIdRegex();

    // A snippet volume id as PVE writes it in hookscript: (storage:snippets/file).
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9\-_.]*:snippets/[^/\s]+$")]
    private static partial Regex SnippetVolumeRegex();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.-]*[$]?$")]
    private static partial Regex UnixUserRegex();

    private static readonly ValueKind<string> Text = new("a string", "a string", v => v.NonEmptyString(), TomlText.String);

    private static readonly ValueKind<string?> OptionalText = new("a string", "a string", v => v.NonEmptyString(), TomlText.String);

    private static readonly ValueKind<string> Path = Text.Where("an absolute path", v => v.AbsolutePath());

    private static readonly ValueKind<string?> OptionalPath = OptionalText.Where("an absolute path", v => v.AbsolutePath());

    private static readonly ValueKind<string?> OutputPath = new("a string", "an absolute path, or \"\" for no file", v => v.OptionalAbsolutePath(), TomlText.String);

    private static readonly ValueKind<bool> Boolean = new("a boolean", "true or false", v => v.Boolean(), TomlText.Boolean);

    // The API's address, or a list of them tried in order: [api] url and [remote.<name>] url.
    private static readonly ValueKind<ConfigList<Uri>> ApiUrls = new("a string or an array of strings", "an https:// address, or a list of them tried in order",
        v => ConfigList.From(v.StringList(allowSingle: true, (item, text) => CheckUrl(v, item, text), atLeastOne: "address").Select(u => new Uri(u, UriKind.Absolute))),
        urls => urls.Count == 0 ? null : urls.Count == 1 ? TomlText.String(urls[0].OriginalString) : TomlText.StringArray(urls.Select(u => u.OriginalString)));

    private static readonly ValueKind<string?> TokenId =
        OptionalText.Where("a token id, user@realm!tokenname", v => v.Matching(TokenIdRegex(), "must look like 'user@realm!tokenname'"));

    private static readonly ValueKind<string?> CertificateFingerprint =
        OptionalText.Where("a SHA-256 fingerprint: 64 hex digits, optionally in ':'-separated pairs", v => Fingerprint(v, v.NonEmptyString()));

    private static ValueKind<int> Integer(int min, int max) =>
        new("an integer", $"an integer from {min} to {max}", v => v.Integer(min, max), TomlText.Integer);

    private static ValueKind<string> OneOf(params string[] values) =>
        new("a string", Choices(values), v => v.OneOf(values), TomlText.String);

    /// <summary>A string naming one of an enum's values.</summary>
    private static ValueKind<TEnum> Named<TEnum>(params (string Name, TEnum Value)[] values)
        where TEnum : struct, Enum
    {
        var names = values.Select(v => v.Name).ToArray();
        return new("a string", Choices(names), v =>
        {
            var name = v.OneOf(names);
            return values.First(n => n.Name == name).Value;
        }, value => TomlText.String(values.First(n => EqualityComparer<TEnum>.Default.Equals(n.Value, value)).Name));
    }

    private static ValueKind<string> ModelOr(params string[] keywords) =>
        new("a string", string.Join(", ", keywords.Select(k => $"\"{k}\"")) + " or a CPU model name (not \"host\" or \"max\")", v => v.ModelOrKeyword(keywords), TomlText.String);

    private static string Choices(string[] values) =>
        values.Length == 1 ? $"\"{values[0]}\"" : string.Join(", ", values[..^1].Select(v => $"\"{v}\"")) + $" or \"{values[^1]}\"";

    private static ConfigKey Key<T>(string section, string name, ValueKind<T> kind, Func<GuardConfig, T> get, Func<GuardConfig, T, GuardConfig> set, string help, string comment) => new()
    {
        Section = section,
        Name = name,
        Type = kind.Type,
        Rule = kind.Rule,
        Default = config => kind.Toml(get(config)),
        Help = help,
        Comment = comment,
        Apply = (value, config) => set(config, kind.Read(value)),
    };

    /// <summary>A key of <c>[remote.&lt;name&gt;]</c> after url: a help line and an example, no comment of its own.</summary>
    private static ConfigKey RemoteKey<T>(string name, ValueKind<T> kind, Func<GuardConfig, T> get, Func<GuardConfig, T, GuardConfig> set, string help, string example) =>
        Key(Remote, name, kind, get, set, help, "") with { Example = example };

    /// <summary>The sections in file order.</summary>
    public static IReadOnlyList<string> Sections { get; } = ["cluster", "facts", "ssh", "api", "policy", "fix", "daemon", "report", "history", "hook", Remote];

    /// <summary>The section that repeats once per other cluster: <c>[remote.&lt;name&gt;]</c>.</summary>
    public const string Remote = "remote";

    /// <summary>How a section's header is written: <c>[remote.&lt;name&gt;]</c> for the per-cluster section.</summary>
    public static string Heading(string section) => section == Remote ? "remote.<name>" : section;

    // A [remote.<name>] name: what --to-cluster <name> says on a command line.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")]
    internal static partial Regex RemoteNameRegex();

    public static IReadOnlyList<ConfigKey> All { get; } =
    [
        // [cluster]
        Key("cluster", "corosync_conf", OptionalPath, c => c.Cluster.CorosyncConf, (c, v) => c with { Cluster = c.Cluster with { CorosyncConf = v } },
            "The corosync.conf that lists the cluster's nodes. Without one, the cluster is the local host alone.",
            """
            The corosync.conf that lists the cluster's nodes. By default the cluster-wide copy in /etc/pve is read,
            then this node's local copy /etc/corosync/corosync.conf (useful when pmxcfs is not mounted).
            Set it only to read another cluster's file. A node that is not in a cluster is treated as a one-node cluster.
            """) with
        {
            Example = "\"/etc/pve/corosync.conf\"",
            Unset = "/etc/pve/corosync.conf, then /etc/corosync/corosync.conf",
        },
        Key("cluster", "pve_root", Path, c => c.Cluster.PveRoot, (c, v) => c with { Cluster = c.Cluster with { PveRoot = v } },
            "Where the Proxmox cluster file system (pmxcfs) is mounted.",
            """
            Where the Proxmox cluster file system is mounted (VM configs under nodes/<node>/qemu-server/,
            cpu-models.conf under virtual-guest/).
            """),
        Key("cluster", "local_node", OptionalText.Where("a Proxmox node name (letters, digits and '-')", v => v.Matching(NodeNameRegex(), "must be a Proxmox node name (letters, digits and '-')")),
            c => c.Cluster.LocalNode, (c, v) => c with { Cluster = c.Cluster with { LocalNode = v } },
            "This node's name as corosync knows it.",
            """
            This node's name as corosync knows it. Default: this host's short host name (`hostname -s`), which is what
            Proxmox uses. Set it only if the two differ.
            """) with
        {
            Example = "\"pve1\"",
            Unset = "this host's short host name",
        },

        // [facts]
        Key("facts", "source", Named(("auto", FactsSourceMode.Auto), ("ssh", FactsSourceMode.Ssh), ("api", FactsSourceMode.Api), ("local", FactsSourceMode.Local)),
            c => c.Facts.Source, (c, v) => c with { Facts = c.Facts with { Source = v } },
            "Where node CPUs come from: auto (published facts, then this node locally, then the API when [api] has credentials, else SSH), ssh, api or local (this node only).",
            """
            How each node's CPU (its /proc/cpuinfo) is read:
              "auto"   each node's own published facts (<pve_root>/nodes/<node>/proxclmc-guard/facts.json, written by
                       "facts --publish", fresh within max_age_seconds: QEMU's exact answer under KVM); else this node
                       locally (with its QEMU); else the Proxmox API when [api] credentials are set, otherwise SSH
              "ssh"    log in to every node as [ssh] user and read /proc/cpuinfo (what ProxCLMC does)
              "api"    GET /nodes/<node>/status through the Proxmox API (needs [api] credentials; no SSH needed)
              "local"  read only this node (for the hookscript and for single-node checks)
            """),
        Key("facts", "local_cpuinfo", Path, c => c.Facts.LocalCpuinfo, (c, v) => c with { Facts = c.Facts with { LocalCpuinfo = v } },
            "This node's cpuinfo.",
            """
            This node's cpuinfo. Change it only for tests or a what-if run.
            """),
        Key("facts", "qemu_binary", OptionalPath, c => c.Facts.QemuBinary, (c, v) => c with { Facts = c.Facts with { QemuBinary = v } },
            "The QEMU asked by facts what this node can run under KVM.",
            """
            The QEMU asked what this node can really run under KVM ("facts", "facts --publish"): it is started without
            any guest (-machine none -accel kvm -nodefaults -display none -S -qmp stdio) and answers query-cpu-definitions
            and the host CPU expansion. Unset: /usr/bin/kvm (Proxmox), then qemu-system-x86_64 on PATH.
            """) with
        {
            Example = "\"/usr/bin/kvm\"",
            Unset = "/usr/bin/kvm, then qemu-system-x86_64 on PATH",
        },
        Key("facts", "cache_file", Path, c => c.Facts.CacheFile, (c, v) => c with { Facts = c.Facts with { CacheFile = v } },
            "The node facts cache, which lets the hook decide without contacting the migration's source node.",
            """
            Facts read from the nodes are kept here so that the hookscript can decide within its 2 seconds without
            contacting the source node of a migration.
            """),
        Key("facts", "max_age_seconds", Integer(0, 366 * 86400), c => c.Facts.MaxAgeSeconds, (c, v) => c with { Facts = c.Facts with { MaxAgeSeconds = v } },
            "How old cached facts, and a node's published facts, may be before they are read again; 0 never uses either, also not with --allow-partial. Cached facts stand in for a node that cannot be read only when its SSH host key in <pve_root>/nodes/<node>/ssh_known_hosts is the one they were read with. With source = auto fresh published facts are preferred over SSH and the API.",
            """
            How long (seconds) a cached node's facts, and a node's published facts, are trusted before they are read
            again; the daemon republishes this node's facts when they are older, or when they change. 0 never uses either
            (also not with --allow-partial). Lower it if nodes get CPU or microcode changes often; a node's CPU rarely
            changes without a reboot. With --allow-partial, a node that cannot be read is judged with its cached facts
            only when its host key (<pve_root>/nodes/<node>/ssh_known_hosts) is the one they were read with: a node
            reinstalled on new hardware under its old name does not inherit the old CPU.
            """),

        // [ssh]
        Key("ssh", "user", Text.Where("a Unix user name", v => v.Matching(UnixUserRegex(), "must be a Unix user name")),
            c => c.Ssh.User, (c, v) => c with { Ssh = c.Ssh with { User = v } },
            "The account used to log in to the other nodes.",
            """
            The account used to log in to the other nodes. Proxmox already trusts root between cluster nodes.
            """),
        Key("ssh", "port", Integer(1, 65535), c => c.Ssh.Port, (c, v) => c with { Ssh = c.Ssh with { Port = v } },
            "sshd port on the nodes.",
            """
            sshd port on the nodes.
            """),
        Key("ssh", "identity_file", Path, c => c.Ssh.IdentityFile, (c, v) => c with { Ssh = c.Ssh with { IdentityFile = v } },
            "The private key to log in with.",
            """
            The private key to log in with. Proxmox sets up root's key for the cluster; use a dedicated key with a
            forced command if root logins are restricted.
            """),
        Key("ssh", "known_hosts",
            new ValueKind<ConfigList<string>>("an array of strings", "a list of absolute paths; {node} stands for the node's name",
                v => v.StringList(allowSingle: false, v.RequireAbsolute, atLeastOne: "file"), TomlText.StringArray),
            c => c.Ssh.KnownHosts, (c, v) => c with { Ssh = c.Ssh with { KnownHosts = v } },
            "The known_hosts files a node's host key must be in (no trust on first use): Proxmox's cluster-wide /etc/pve/priv/known_hosts, the per-node /etc/pve/nodes/{node}/ssh_known_hosts of newer Proxmox versions, then root's /root/.ssh/known_hosts.",
            """
            Files with the nodes' host keys; a node whose key is not found in them is refused (no trust on first use).
            "{node}" is replaced by the name of the node being contacted. The defaults are the files Proxmox maintains:
            the cluster-wide one and the per-node one newer Proxmox versions write; then root's own known_hosts.
            """),
        Key("ssh", "connect_timeout_seconds", Integer(1, 86400), c => c.Ssh.ConnectTimeoutSeconds, (c, v) => c with { Ssh = c.Ssh with { ConnectTimeoutSeconds = v } },
            "Seconds to wait for a node to accept the connection; a node that does not answer is unreachable.",
            """
            Seconds to wait for a node to accept the connection. A node that does not answer is reported as
            unreachable (exit 3 unless --allow-partial).
            """),
        Key("ssh", "command_timeout_seconds", Integer(1, 86400), c => c.Ssh.CommandTimeoutSeconds, (c, v) => c with { Ssh = c.Ssh with { CommandTimeoutSeconds = v } },
            "Seconds to wait for the command on a node to finish.",
            """
            Seconds to wait for `cat /proc/cpuinfo` to finish on a node.
            """),
        Key("ssh", "parallelism", Integer(1, 256), c => c.Ssh.Parallelism, (c, v) => c with { Ssh = c.Ssh with { Parallelism = v } },
            "Nodes read at once.",
            """
            How many nodes are contacted at the same time (1 to 256). The default reads a cluster of up to 64 nodes
            in one wave: each connection mostly waits for its node and holds one socket.
            """),

        // [api]
        Key("api", "url", ApiUrls, c => c.Api.Urls, (c, v) => c with { Api = c.Api with { Urls = v } },
            "The Proxmox API address, or a list of them: the first that answers is used.",
            """
            The Proxmox VE API address. A list is tried in order and the first one that answers is used, so that the
            tool keeps working when one node is down, for example:
              url = ["https://pve1.example.com:8006", "https://pve2.example.com:8006"]
            Only https:// is accepted.
            """),
        Key("api", "token_id", TokenId, c => c.Api.TokenId, (c, v) => c with { Api = c.Api with { TokenId = v } },
            "An API token, used together with token_secret_file. It needs Sys.Audit on / and /nodes (baseline), VM.Audit on /vms and Mapping.Audit on /mapping/cpu (scan, check, daemon, snapshot), and VM.Config.CPU on /vms (fix --apply, --undo): PVEAuditor on / plus VM.Config.CPU; applying or undoing a placement plan also needs Sys.Console on / (HA rules and groups). A token that sees only some guests gets a warning with their count.",
            """
            API token, preferred. What each verb needs:
              baseline            Sys.Audit on / (GET /cluster/status) and on /nodes (GET /nodes/<node>/status)
              scan, check, daemon, snapshot
                                  the above, VM.Audit on /vms (or /), and for custom CPU models Mapping.Audit on
                                  /mapping/cpu (Proxmox VE 9.1.15+; before that Sys.Audit on /nodes lists them)
              fix --apply, --undo the above and VM.Config.CPU on /vms; for a placement plan also Sys.Console on /
                                  (HA rules and groups)
              hook                nothing (it reads this node's own files)
            PVEAuditor holds every *.Audit privilege. A least-privilege token on a dedicated user:
              pveum user add proxclmc@pve --comment "proxclmc-guard"
              pveum acl modify / --roles PVEAuditor --users proxclmc@pve
              pveum role add ProxclmcCpu --privs VM.Config.CPU                 # only for fix --apply / --undo
              pveum acl modify /vms --roles ProxclmcCpu --users proxclmc@pve   # only for fix --apply / --undo
              pveum user token add proxclmc@pve guard --privsep 0
            A token with VM.Audit only on some guests or pools sees only those: the scan warns with the count.
            Users with two-factor authentication cannot log in unattended: use a token. token_id is user@realm!name;
            the secret goes, alone on one line, into token_secret_file (mode 0600 or 0400). Set both or neither.
            """) with
        {
            Example = "\"proxclmc@pve!guard\"",
        },
        Key("api", "token_secret_file", OptionalPath, c => c.Api.TokenSecretFile, (c, v) => c with { Api = c.Api with { TokenSecretFile = v } },
            "The file holding the token's secret, alone on one line, owned by root with mode 0600 or 0400.",
            "") with
        {
            Example = "\"/etc/proxclmc-guard/token.secret\"",
        },
        Key("api", "username", OptionalText.Where("a user id, user@realm", v => v.Matching(UserIdRegex(), "must look like 'user@realm' (for example 'root@pam')")),
            c => c.Api.Username, (c, v) => c with { Api = c.Api with { Username = v } },
            "A user for ticket login when no token is used, together with password_file. A user with two-factor authentication cannot log in unattended: use a token.",
            """
            Or a user and password (a login ticket is fetched and renewed): username is user@realm, the password goes
            into password_file (mode 0600 or 0400). Set both or neither, and not together with a token.
            """) with
        {
            Example = "\"root@pam\"",
        },
        Key("api", "password_file", OptionalPath, c => c.Api.PasswordFile, (c, v) => c with { Api = c.Api with { PasswordFile = v } },
            "The file holding username's password, owned by root with mode 0600 or 0400.",
            "") with
        {
            Example = "\"/etc/proxclmc-guard/password\"",
        },
        Key("api", "ca_file", Path, c => c.Api.CaFile, (c, v) => c with { Api = c.Api with { CaFile = v } },
            "The CA that signs the nodes' certificates: Proxmox's cluster CA.",
            """
            The CA that signs the nodes' certificates: Proxmox's cluster CA, present on every node.
            Change it if the API is behind a certificate from another CA (ACME, a company CA).
            """),
        Key("api", "fingerprint", CertificateFingerprint, c => c.Api.Fingerprint, (c, v) => c with { Api = c.Api with { Fingerprint = v } },
            "Trust exactly the server certificate with this SHA-256 fingerprint instead of a CA.",
            """
            Or trust exactly one certificate by its SHA-256 fingerprint, as `pvenode cert info` shows it (32 hex pairs).
            Not set by default.
            """) with
        {
            Example = "\"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\"",
        },
        Key("api", "insecure_skip_verify", Boolean, c => c.Api.InsecureSkipVerify, (c, v) => c with { Api = c.Api with { InsecureSkipVerify = v } },
            "Do not check the server certificate (loudly logged when true).",
            """
            Accept any certificate. Only for a lab: anyone on the network path can then read the token.
            Every run logs a warning while this is on.
            """),
        Key("api", "timeout_seconds", Integer(1, 86400), c => c.Api.TimeoutSeconds, (c, v) => c with { Api = c.Api with { TimeoutSeconds = v } },
            "Seconds to wait for one API request. A node whose request times out (pveproxy waits up to 30 s for a node that drops packets) gets no further request in the run: its guests are listed as not read.",
            """
            Seconds to wait for one API request.
            """),
        Key("api", "parallelism", Integer(1, 256), c => c.Api.Parallelism, (c, v) => c with { Api = c.Api with { Parallelism = v } },
            "API requests at once.",
            """
            How many API requests run at the same time (1 to 256).
            """),
        Key("api", "proxy",
            new ValueKind<Uri?>("a string", "an http:// or https:// URL without credentials", v => Proxy(v), proxy => TomlText.String(proxy?.OriginalString)),
            c => c.Api.Proxy, (c, v) => c with { Api = c.Api with { Proxy = v } },
            "An HTTP proxy to reach the API through (not set: direct). HTTPS_PROXY, https_proxy, ALL_PROXY and NO_PROXY in the environment are ignored.",
            """
            An HTTP proxy to reach the API through, for example "http://proxy.example.com:3128". Not set by default: the
            API is reached directly, and HTTPS_PROXY, https_proxy, ALL_PROXY and NO_PROXY in the environment are ignored
            (a variable meant for apt must not send the API token through another host).
            """) with
        {
            Example = "\"http://proxy.example.com:3128\"",
        },

        // [policy]
        Key("policy", "baseline", ModelOr("auto"), c => c.Policy.Baseline, (c, v) => c with { Policy = c.Policy with { Baseline = v } },
            "auto (the cluster's own baseline) or a pinned model such as x86-64-v3: like VMware EVC, guests above it are flagged even when today's nodes could run them, and nodes below it are reported as non-compliant.",
            """
            The CPU model all guests are judged against:
              "auto"          the best model every node in the cluster can run today (computed at each run)
              a model name    a pinned baseline, like VMware EVC, for example "x86-64-v3" or "Cascadelake-Server":
                              guests above it are flagged even if today's nodes could run them, and nodes that
                              cannot run it are reported. Pin it before adding older nodes to the cluster.
            """),
        Key("policy", "strict_vendor", Boolean, c => c.Policy.StrictVendor, (c, v) => c with { Policy = c.Policy with { StrictVendor = v } },
            "Named models are only offered as a baseline when every node has the vendor they are made for.",
            """
            Named models (Skylake-Server, EPYC-Milan, ...) are only offered as a baseline when every node has the
            vendor they are made for. Turn off only if you know the guests tolerate a foreign vendor's model.
            """),
        Key("policy", "ignore_tags",
            new ValueKind<ConfigList<string>>("an array of strings", "a list of Proxmox tags",
                v => v.StringList(allowSingle: false, (item, tag) =>
                {
                    if (!TagRegex().IsMatch(tag))
                    {
                        throw v.Bad(item, $"[policy] ignore_tags: {GuardConfigLoader.Quote(tag)} is not a Proxmox tag (letters, digits, '_', '-', '+', '.')");
                    }
                }),
                TomlText.StringArray),
            c => c.Policy.IgnoreTags, (c, v) => c with { Policy = c.Policy with { IgnoreTags = v } },
            "VMs with one of these tags are not judged; each is logged at notice level. Anyone who may edit a VM's tags can set one: list the tag in registered-tags of /etc/pve/datacenter.cfg so that only users with Sys.Modify on / can set it.",
            """
            Guests carrying one of these Proxmox tags are not judged (they are still listed as ignored).
            """),
        Key("policy", "ignore_vmids",
            new ValueKind<ConfigList<int>>("an array of integers", "a list of VM ids",
                v => v.IntegerList(100, 999_999_999, "a Proxmox VM id (100 to 999999999)"), TomlText.IntegerArray),
            c => c.Policy.IgnoreVmIds, (c, v) => c with { Policy = c.Policy with { IgnoreVmIds = v } },
            "VMs not judged.",
            """
            VM ids that are not judged, for example [105, 2001].
            """),
        Key("policy", "host_cpu", Named(("unsafe", HostCpuPolicy.Unsafe), ("allow-identical", HostCpuPolicy.AllowIdentical)),
            c => c.Policy.HostCpu, (c, v) => c with { Policy = c.Policy with { HostCpu = v } },
            "allow-identical (a host or max guest is safe while every node where it may run has an identical CPU) or unsafe (always flagged).",
            """
            How guests with cpu type "host" or "max" are judged ("host" passes each node's own CPU through,
            and Proxmox checks nothing when it migrates, so a guest can crash later on an illegal instruction):
              "allow-identical"  ok (with a note) while every node reports an identical CPU (vendor, family,
                                 model and flags); flagged host-cpu as soon as one node differs
              "unsafe"           always flagged, even on identical nodes (the next node you add may differ)
            """),

        // [fix]
        Key("fix", "target", ModelOr("level", "named"), c => c.Fix.Target, (c, v) => c with { Fix = c.Fix with { Target = v } },
            "What fix sets unsafe guests to: level (the highest x86-64-v* level), named (the best shared named model) or a model name.",
            """
            What `fix` sets unsafe guests to:
              "level"      the cluster's highest x86-64 level (x86-64-v2-AES, x86-64-v3, ...): safe for any x86 node
              "named"      the best named model every node shares (more features); an error (exit 78) when the
                           nodes share none, for example with mixed vendors: use "level" there
              a model      exactly this model, for example "x86-64-v2-AES"
            """),
        Key("fix", "strategy", OneOf("cpu", "placement"), c => c.Fix.Strategy, (c, v) => c with { Fix = c.Fix with { Strategy = v } },
            "cpu (lower the cpu) or placement (pin HA guests with strict HA rules to the nodes that can run them).",
            """
            How `fix` makes an unsafe guest safe (`fix --strategy` overrides it):
              "cpu"        lower its cpu to `target`
              "placement"  leave the cpu alone; pin each unsafe HA guest with a strict HA node-affinity rule
                           (Proxmox VE 9; a restricted group on 8) to the nodes that can run it. Guests without HA
                           are listed for the hookscript (`hook attach`) instead.
            """),
        Key("fix", "include_running", Boolean, c => c.Fix.IncludeRunning, (c, v) => c with { Fix = c.Fix with { IncludeRunning = v } },
            "Also plan changes for running guests (pending until their next cold start).",
            """
            Also plan changes for running guests. The change is written as a pending change that Proxmox applies
            at the guest's next full stop and start (not at a reboot from inside the guest).
            """),
        Key("fix", "undo_dir", Path, c => c.Fix.UndoDir, (c, v) => c with { Fix = c.Fix with { UndoDir = v } },
            "Where plans and undo records are kept for fix --apply and fix --undo.",
            """
            Where each applied plan's previous settings are kept for `fix --undo <plan-id>`.
            """),
        Key("fix", "plan_max_age_seconds", Integer(60, 7 * 86400), c => c.Fix.PlanMaxAgeSeconds, (c, v) => c with { Fix = c.Fix with { PlanMaxAgeSeconds = v } },
            "fix --apply plan-id refuses a saved plan older than this many seconds.",
            """
            `fix --apply <plan-id>` refuses a saved plan older than this (seconds): the cluster may have moved on.
            """),

        // [daemon]
        Key("daemon", "interval_seconds", Integer(60, 7 * 86400), c => c.Daemon.IntervalSeconds, (c, v) => c with { Daemon = c.Daemon with { IntervalSeconds = v } },
            "Seconds between two scans of the daemon verb.",
            """
            Seconds between two scans of the long-running worker (`proxclmc-guard daemon`; at least 60).
            The systemd timer shipped with the package has its own schedule.
            """),

        // [report]
        Key("report", "json_file", OutputPath, c => c.Report.JsonFile, (c, v) => c with { Report = c.Report with { JsonFile = v } },
            "Each scan writes the full result as JSON here; \"\" writes no file.",
            """
            Each scan writes the full result as JSON here (the same document as `scan --format json`).
            Set to "" to write no file.
            """),
        Key("report", "prometheus_textfile",
            OutputPath.Where("an absolute path ending in .prom, or \"\" for no file", v =>
            {
                var prom = v.OptionalAbsolutePath();
                return prom is not null && !prom.EndsWith(".prom", StringComparison.Ordinal)
                    ? throw v.Bad($"[report] prometheus_textfile must end in .prom (node_exporter's textfile collector reads only *.prom), got {GuardConfigLoader.Quote(prom)}")
                    : prom;
            }),
            c => c.Report.PrometheusTextfile, (c, v) => c with { Report = c.Report with { PrometheusTextfile = v } },
            "Metrics for the node exporter's textfile collector; \"\" writes no file.",
            """
            Prometheus metrics for node_exporter's textfile collector (the directory Debian's
            prometheus-node-exporter reads; the name must end in .prom). Set to "" to write no file.
            """),
        Key("report", "html_file", OutputPath, c => c.Report.HtmlFile, (c, v) => c with { Report = c.Report with { HtmlFile = v } },
            "Each scan writes the self-contained HTML page here; unset or \"\" writes none.",
            """
            Each scan also writes the self-contained HTML page here (the same page as `scan --format html`:
            node matrix, guests, changes since the last scan). Not set: no page.
            """) with
        {
            Example = "\"/var/lib/proxclmc-guard/report.html\"",
        },

        // [history]
        Key("history", "state_file", OptionalPath, c => c.History.StateFile, (c, v) => c with { History = c.History with { StateFile = v } },
            "Where each scan records the cluster's CPU and the changes found so far (default: <pve_root>/proxclmc-guard/state.json on a node).",
            """
            Each scan records the cluster's CPU here (every node's guest-visible CPU features, microcode, kernel,
            QEMU version and level, the baseline, each guest's verdict, and the last 200 changes) and compares the
            next scan with it: `scan` shows "Changes since ...", `history` lists them. Not set by default: then
            <pve_root>/proxclmc-guard/state.json on a Proxmox node, in pmxcfs, so whichever node scans next reads it.
            `scan --state FILE` sets it for one run; `--from` runs record no state unless --state is given.
            """) with
        {
            Example = "\"/var/lib/proxclmc-guard/state.json\"",
        },

        // [hook]
        Key("hook", "block_unsafe_start", Boolean, c => c.Hook.BlockUnsafeStart, (c, v) => c with { Hook = c.Hook with { BlockUnsafeStart = v } },
            "Also refuse plain starts the node cannot run.",
            """
            The hookscript always refuses an incoming live migration that the target node cannot run.
            With this on it also refuses a plain start of a guest this node cannot run (by default it only logs).
            """),
        Key("hook", "fail_closed", Boolean, c => c.Hook.FailClosed, (c, v) => c with { Hook = c.Hook with { FailClosed = v } },
            "Refuse the start when the hook itself fails.",
            """
            When the hookscript itself fails (unreadable facts, a bug), allow the start or migration and log it (false),
            or refuse it (true). Refusing protects guests from crashing on the wrong CPU but can block starts.
            """),
        Key("hook", "chain",
            OptionalText.Where("an absolute path or a snippet volume such as 'local:snippets/hook.pl'", v =>
            {
                var chain = v.NonEmptyString();
                return !chain.StartsWith('/') && !SnippetVolumeRegex().IsMatch(chain)
                    ? throw v.Bad($"[hook] chain must be an absolute path or a snippet volume such as 'local:snippets/hook.pl', got {GuardConfigLoader.Quote(chain)}")
                    : chain;
            }),
            c => c.Hook.Chain, (c, v) => c with { Hook = c.Hook with { Chain = v } },
            "Another hookscript to run after the check, passing its exit status through, resolved through /etc/pve/storage.cfg as Proxmox does. The file and every folder above it must be owned by root and not writable by group or others; otherwise the hook fails with a configuration error (78).",
            """
            The hookscript that was attached before proxclmc-guard's, run after the check with the same arguments:
            an absolute path, or the snippet volume as Proxmox writes it, for example "local:snippets/old-hook.pl".
            Not set by default.
            """) with
        {
            Example = "\"local:snippets/old-hook.pl\"",
        },
        Key("hook", "allow_foreign_host_cpu", Boolean, c => c.Hook.AllowForeignHostCpu, (c, v) => c with { Hook = c.Hook with { AllowForeignHostCpu = v } },
            "Allow host and max guests that arrive by a remote migration (qm remote-migrate), whose source CPU this cluster cannot know.",
            """
            A guest that arrives from another cluster (qm remote-migrate, Proxmox Datacenter Manager) is judged against
            this node alone. A guest with cpu host or max needs the same CPU as the node it comes from, and that node is
            not one this cluster knows: such a migration is refused unless this is true.
            """),

        // [remote.<name>]
        Key(Remote, "url", ApiUrls, c => c.Remote.Urls, (c, v) => c with { Remote = c.Remote with { Urls = v } },
            "The other cluster's API address, or a list of them: --to-cluster <name> reads that cluster's nodes, CPUs and custom CPU models through it, with this file's [api] timeout_seconds and parallelism.",
            """
            Another cluster, for check, scan and baseline --to-cluster <name> (moving VMs with qm remote-migrate or
            Proxmox Datacenter Manager). Name it in the section header, for example [remote.office], and describe it by
            its API (url, token_id, token_secret_file, and ca_file or fingerprint: the other cluster's CA is not this
            one's), or by a folder: pve_root (a copy of its /etc/pve) or from (a snapshot made there with snapshot --out).
            """) with
        {
            Example = "\"https://pve-office.example.com:8006\"",
        },
        RemoteKey("token_id", TokenId, c => c.Remote.TokenId, (c, v) => c with { Remote = c.Remote with { TokenId = v } },
            "The API token on the other cluster, used together with token_secret_file: PVEAuditor on / is enough (Mapping.Audit on /mapping/cpu for custom CPU models).",
            "\"proxclmc@pve!guard\""),
        RemoteKey("token_secret_file", OptionalPath, c => c.Remote.TokenSecretFile, (c, v) => c with { Remote = c.Remote with { TokenSecretFile = v } },
            "The file holding that token's secret, alone on one line, owned by root with mode 0600 or 0400.",
            "\"/etc/proxclmc-guard/office.secret\""),
        RemoteKey("ca_file", OptionalPath, c => c.Remote.CaFile, (c, v) => c with { Remote = c.Remote with { CaFile = v } },
            "The other cluster's CA (a copy of its /etc/pve/pve-root-ca.pem).",
            "\"/etc/proxclmc-guard/office-ca.pem\""),
        RemoteKey("fingerprint", CertificateFingerprint, c => c.Remote.Fingerprint, (c, v) => c with { Remote = c.Remote with { Fingerprint = v } },
            "Or trust exactly the other cluster's certificate with this SHA-256 fingerprint.",
            "\"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\""),
        RemoteKey("pve_root", OptionalPath, c => c.Remote.PveRoot, (c, v) => c with { Remote = c.Remote with { PveRoot = v } },
            "Or the other cluster's /etc/pve (a copy or a mount), read like --from.",
            "\"/srv/office/etc-pve\""),
        RemoteKey("from", OptionalPath, c => c.Remote.From, (c, v) => c with { Remote = c.Remote with { From = v } },
            "Or a snapshot of the other cluster (snapshot --out run there).",
            "\"/srv/office/snapshot\""),
    ];

    private static readonly Dictionary<(string Section, string Name), ConfigKey> ByName = All.ToDictionary(k => (k.Section, k.Name));

    public static ConfigKey? Find(string section, string name) => ByName.GetValueOrDefault((section, name));

    /// <summary>The keys of each section, in file order.</summary>
    public static IReadOnlyDictionary<string, string[]> Schema { get; } =
        Sections.ToDictionary(s => s, s => All.Where(k => k.Section == s).Select(k => k.Name).ToArray(), StringComparer.Ordinal);

    private static void CheckUrl(ConfigValue v, Tomlyn.Syntax.ValueSyntax at, string text)
    {
        if (!text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            throw v.Bad(at, $"[api] url must start with https:// (the Proxmox API only answers on HTTPS, port 8006), got {GuardConfigLoader.Quote(text)}");
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host) || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            throw v.Bad(at, $"[api] url must be an address such as \"https://pve1.example.com:8006\", got {GuardConfigLoader.Quote(text)}");
        }
    }

    private static Uri Proxy(ConfigValue v)
    {
        var proxy = v.NonEmptyString();
        if (!Uri.TryCreate(proxy, UriKind.Absolute, out var proxyUri) || proxyUri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(proxyUri.Host) || !string.IsNullOrEmpty(proxyUri.UserInfo))
        {
            throw v.Bad($"[api] proxy must be an http:// or https:// URL without credentials, such as 'http://proxy.example:3128', got {GuardConfigLoader.Quote(proxy)}");
        }

        return proxyUri;
    }

    private static string Fingerprint(ConfigValue v, string text)
    {
        var hex = text.Replace(":", "", StringComparison.Ordinal);
        if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit) || (text.Contains(':') && text.Length != 95))
        {
            throw v.Bad($"[api] fingerprint must be a SHA-256 certificate fingerprint (64 hex digits, optionally in ':'-separated pairs), got {GuardConfigLoader.Quote(text)}");
        }

        hex = hex.ToUpperInvariant();
        return string.Join(':', Enumerable.Range(0, 32).Select(i => hex.Substring(i * 2, 2)));
    }
}
