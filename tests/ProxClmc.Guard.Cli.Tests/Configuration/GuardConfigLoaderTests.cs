using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Configuration;
using ProxClmc.Guard.Core.Parsing;
using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Configuration;

public sealed class GuardConfigLoaderTests
{
    private static string Fixture(string name) => RepoPaths.Combine("tests", "ProxClmc.Guard.Cli.Tests", "Fixtures", "config", name);

    private static GuardConfig LoadFixture(string name) => GuardConfigLoader.LoadFile(Fixture(name));

    [Theory]
    [InlineData("misspelt-key.toml", "4:1: unknown key 'strict_vendr' in [policy] (did you mean 'strict_vendor'?)")]
    [InlineData("unknown-section.toml", "4:2: unknown section [polcy] (did you mean [policy]?)")]
    [InlineData("wrong-type.toml", "3:8: [ssh] port must be an integer, got string")]
    [InlineData("bad-port.toml", "2:8: [ssh] port must be between 1 and 65535, got 70000")]
    [InlineData("bad-port-zero.toml", "2:8: [ssh] port must be between 1 and 65535, got 0")]
    [InlineData("bad-parallelism.toml", "2:15: [api] parallelism must be between 1 and 256, got 0")]
    [InlineData("bad-source.toml", "2:10: [facts] source must be one of \"auto\", \"ssh\", \"api\", \"local\", got 'sssh' (did you mean \"ssh\"?)")]
    [InlineData("bad-host-cpu.toml", "2:12: [policy] host_cpu must be one of \"unsafe\", \"allow-identical\", got 'allow'")]
    [InlineData("empty-baseline.toml", "2:12: [policy] baseline must be \"auto\" or a CPU model name, got \"\"")]
    [InlineData("http-url.toml", "2:7: [api] url must start with https:// (the Proxmox API only answers on HTTPS, port 8006), got 'http://pve1.example.com:8006'")]
    [InlineData("url-list-bad-element.toml", "4:3: [api] url must start with https:// (the Proxmox API only answers on HTTPS, port 8006), got 'pve2.example.com:8006'")]
    [InlineData("zero-timeout.toml", "2:27: [ssh] connect_timeout_seconds must be between 1 and 86400, got 0")]
    [InlineData("relative-path.toml", "2:17: [ssh] identity_file must be an absolute path, got 'id_rsa'")]
    [InlineData("token-without-secret.toml", "3:1: [api] token_id is set but token_secret_file is not: set both or neither")]
    [InlineData("username-without-password.toml", "2:1: [api] username is set but password_file is not: set both or neither")]
    [InlineData("top-level-key.toml", "1:1: key 'port' is outside any section; keys belong in a section such as [cluster] ('port' belongs in [ssh])")]
    [InlineData("vmid-not-integer.toml", "2:22: [policy] ignore_vmids must be an array of integers, got an array containing string")]
    [InlineData("api-source-without-credentials.toml", "2:10: [facts] source = \"api\" needs [api] token_id and token_secret_file (or username and password_file)")]
    public void A_mistake_is_reported_at_its_line_and_column(string fixture, string expected)
    {
        var path = Fixture(fixture);

        var error = Assert.Throws<GuardConfigurationException>(() => GuardConfigLoader.LoadFile(path));

        Assert.Equal($"{path}:{expected}", error.Message);
    }

    [Fact]
    public void A_toml_syntax_error_is_reported_with_the_parser_position()
    {
        var path = Fixture("syntax-error.toml");

        var error = Assert.Throws<GuardConfigurationException>(() => GuardConfigLoader.LoadFile(path));

        Assert.Equal($"{path}:3:13: Invalid newline in a string", error.Message);
    }

    [Fact]
    public void A_key_set_twice_is_reported_at_the_second_one()
    {
        var path = Fixture("duplicate-key.toml");

        var error = Assert.Throws<GuardConfigurationException>(() => GuardConfigLoader.LoadFile(path));

        Assert.Equal($"{path}:3:1: The key `ssh.port` is already defined at (2,1) and cannot be redefined", error.Message);
    }

    [Fact]
    public void A_section_given_twice_is_reported_without_quoting_the_first_one()
    {
        const string text = "[ssh]\nport = 22\nuser = \"root\"\n\n[ssh]\nparallelism = 4\n";

        var error = Assert.Throws<GuardConfigurationException>(() => GuardConfigLoader.Load(text, "twice.toml"));

        Assert.Equal("twice.toml:5:1: The key `ssh` is already defined at (1,1) and cannot be redefined", error.Message);
    }

    [Fact]
    public void A_config_setting_every_key_loads_every_value()
    {
        var config = LoadFixture("full.toml");

        var expected = new GuardConfig
        {
            Cluster = new ClusterSettings { CorosyncConf = "/srv/cluster-b/corosync.conf", PveRoot = "/srv/cluster-b/pve", LocalNode = "pve-b1" },
            Facts = new FactsSettings
            {
                Source = FactsSourceMode.Ssh,
                LocalCpuinfo = "/srv/cluster-b/cpuinfo",
                QemuBinary = "/usr/libexec/qemu-kvm",
                CacheFile = "/var/cache/proxclmc-guard/facts.json",
                MaxAgeSeconds = 600,
            },
            Ssh = new SshSettings
            {
                User = "cpuaudit",
                Port = 2222,
                IdentityFile = "/etc/proxclmc-guard/id_ed25519",
                KnownHosts = ["/etc/ssh/ssh_known_hosts"],
                ConnectTimeoutSeconds = 3,
                CommandTimeoutSeconds = 20,
                Parallelism = 4,
            },
            Api = new ApiSettings
            {
                Urls = [new Uri("https://pve-b1.example.com:8006")],
                Username = "audit@pve",
                PasswordFile = "/etc/proxclmc-guard/password",
                CaFile = "/usr/local/share/ca-certificates/company-ca.crt",
                Fingerprint = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
                InsecureSkipVerify = true,
                TimeoutSeconds = 30,
                Parallelism = 2,
            },
            Policy = new PolicySettings
            {
                Baseline = "x86-64-v3",
                StrictVendor = false,
                IgnoreTags = ["lab", "no-cpu-check"],
                IgnoreVmIds = [105, 2001],
                HostCpu = HostCpuPolicy.AllowIdentical,
            },
            Fix = new FixSettings { Target = "EPYC-Milan", IncludeRunning = true, UndoDir = "/srv/proxclmc-guard/undo" },
            Daemon = new DaemonSettings { IntervalSeconds = 900 },
            Report = new ReportSettings { JsonFile = null, PrometheusTextfile = "/var/lib/node_exporter/textfile/proxclmc.prom" },
            Hook = new HookSettings { BlockUnsafeStart = true, FailClosed = true, Chain = "local:snippets/old-hook.pl" },
        };
        Assert.Equal(expected, config);
        Assert.Equal(["/srv/cluster-b/corosync.conf"], config.Cluster.CorosyncConfCandidates);
        Assert.Equal(FixTargetKind.Model, config.Fix.TargetKind);
        Assert.True(config.Api.HasPasswordAuth);
        Assert.False(config.Api.HasTokenAuth);
        Assert.Equal(TimeSpan.FromMinutes(15), config.Daemon.Interval);
        Assert.Equal(TimeSpan.FromSeconds(3), config.Ssh.ConnectTimeout);
    }

    [Fact]
    public void The_api_url_can_be_a_list_tried_in_order()
    {
        var config = LoadFixture("url-list.toml");

        Assert.Equal([new Uri("https://pve1.example.com:8006"), new Uri("https://[2001:db8::2]:8006")], config.Api.Urls);
        Assert.True(config.Api.HasTokenAuth);
        Assert.Equal("monitor@pve!guard", config.Api.TokenId);
    }

    [Fact]
    public void A_single_api_url_is_a_list_of_one()
    {
        var config = GuardConfigLoader.Load("[api]\nurl = \"https://10.0.0.5:8006\"\n", "t.toml");

        Assert.Equal([new Uri("https://10.0.0.5:8006")], config.Api.Urls);
    }

    [Fact]
    public void An_empty_file_and_a_comments_only_file_give_the_defaults()
    {
        Assert.Equal(GuardConfig.Default, GuardConfigLoader.Load("", "empty.toml"));
        Assert.Equal(GuardConfig.Default, GuardConfigLoader.Load("# nothing set\n\n[ssh]\n# port = 2222\n", "comments.toml"));
    }

    [Fact]
    public void The_defaults_are_what_a_proxmox_node_uses()
    {
        var config = GuardConfig.Default;

        Assert.Equal(["/etc/pve/corosync.conf", "/etc/corosync/corosync.conf"], config.Cluster.CorosyncConfCandidates);
        Assert.Equal("/etc/pve", config.Cluster.PveRoot);
        Assert.Null(config.Cluster.LocalNode);
        Assert.Equal(FactsSourceMode.Auto, config.Facts.Source);
        Assert.Equal("/proc/cpuinfo", config.Facts.LocalCpuinfo);
        Assert.Equal(["/etc/pve/priv/known_hosts", "/etc/pve/nodes/pve2/ssh_known_hosts", "/root/.ssh/known_hosts"], config.Ssh.KnownHostsFor("pve2"));
        Assert.Equal("/etc/pve/pve-root-ca.pem", config.Api.CaFile);
        Assert.False(config.Api.InsecureSkipVerify);
        Assert.False(config.Api.HasCredentials);
        Assert.Equal("auto", config.Policy.Baseline);
        Assert.True(config.Policy.StrictVendor);
        Assert.Equal(["proxclmc-ignore"], config.Policy.IgnoreTags);
        Assert.Equal(FixTargetKind.Level, config.Fix.TargetKind);
        Assert.False(config.Fix.IncludeRunning);
        Assert.False(config.Hook.BlockUnsafeStart);
        Assert.False(config.Hook.FailClosed);
        Assert.Null(config.Hook.Chain);
    }

    [Fact]
    public void The_policy_section_becomes_the_core_policy()
    {
        var config = GuardConfigLoader.Load(
            "[policy]\nbaseline = \"Cascadelake-Server\"\nstrict_vendor = false\nignore_tags = [\"lab\"]\nignore_vmids = [900]\nhost_cpu = \"allow-identical\"\n",
            "policy.toml");

        var policy = config.ToPolicy();

        Assert.Equal("Cascadelake-Server", policy.Baseline);
        Assert.True(policy.IsPinned);
        Assert.False(policy.StrictVendor);
        Assert.Equal(["lab"], policy.IgnoreTags);
        Assert.Equal([900], policy.IgnoreVmIds);
        Assert.Equal(HostCpuPolicy.AllowIdentical, policy.HostCpu);
        Assert.False(GuardConfig.Default.ToPolicy().IsPinned);
    }

    [Fact]
    public void Dotted_keys_and_inline_tables_mean_the_same_as_sections()
    {
        var sections = GuardConfigLoader.Load("[ssh]\nport = 2222\nuser = \"audit\"\n", "a.toml");
        var dotted = GuardConfigLoader.Load("ssh.port = 2222\nssh.user = \"audit\"\n", "b.toml");
        var inline = GuardConfigLoader.Load("ssh = { port = 2222, user = \"audit\" }\n", "c.toml");

        Assert.Equal(sections, dotted);
        Assert.Equal(sections, inline);
    }

    [Theory]
    [InlineData("[ssh]\nport = 22.0\n", "2:8: [ssh] port must be an integer, got float")]
    [InlineData("[ssh]\nknown_hosts = \"/etc/ssh/ssh_known_hosts\"\n", "2:15: [ssh] known_hosts must be an array of strings, got string")]
    [InlineData("[hook]\nfail_closed = \"yes\"\n", "2:15: [hook] fail_closed must be a boolean, got string")]
    [InlineData("[ssh.port]\n", "1:6: [ssh] port must be an integer, got table")]
    [InlineData("[[ssh]]\nport = 22\n", "1:3: [ssh] must be a table ([ssh]), not an array of tables ([[ssh]])")]
    [InlineData("ssh = 22\n", "1:1: 'ssh' must be a section ([ssh]), got integer")]
    [InlineData("[plugins]\n", "1:2: unknown section [plugins] (known sections: [cluster], [facts], [ssh], [api], [policy], [fix], [daemon], [report], [history], [hook], [remote.<name>])")]
    [InlineData("[daemon]\nfrequency = 60\n", "2:1: unknown key 'frequency' in [daemon] (known keys: interval_seconds)")]
    [InlineData("[policy]\nbaseline = \"host\"\n", "2:12: [policy] baseline cannot be \"host\": it passes the node's own CPU through and is not portable between nodes")]
    [InlineData("[fix]\ntarget = \"x86 64 v3\"\n", "2:10: [fix] target must be \"level\", \"named\" or a CPU model name such as \"x86-64-v3\", got 'x86 64 v3'")]
    [InlineData("[api]\ntoken_id = \"root@pam\"\ntoken_secret_file = \"/etc/proxclmc-guard/token.secret\"\n", "2:12: [api] token_id must look like 'user@realm!tokenname', got 'root@pam'")]
    [InlineData("[api]\ntoken_secret_file = \"/etc/proxclmc-guard/token.secret\"\n", "2:1: [api] token_secret_file is set but token_id is not: set both or neither")]
    [InlineData("[api]\ntoken_id = \"a@pve!t\"\ntoken_secret_file = \"/s\"\nusername = \"a@pve\"\npassword_file = \"/p\"\n", "4:1: [api] set either token_id and token_secret_file, or username and password_file, not both")]
    [InlineData("[api]\nurl = []\n", "2:7: [api] url must name at least one address (comment the line out to use the default)")]
    [InlineData("[ssh]\nknown_hosts = []\n", "2:15: [ssh] known_hosts must name at least one file (comment the line out to use the default)")]
    [InlineData("[ssh]\nknown_hosts = [\"known_hosts\"]\n", "2:16: [ssh] known_hosts must be an absolute path, got 'known_hosts'")]
    [InlineData("[api]\nurl = [\"https://a:8006\", 5]\n", "2:26: [api] url must be a string or an array of strings, got an array containing integer")]
    [InlineData("[api]\nfingerprint = \"AB:CD\"\n", "2:15: [api] fingerprint must be a SHA-256 certificate fingerprint (64 hex digits, optionally in ':'-separated pairs), got 'AB:CD'")]
    [InlineData("[policy]\nignore_vmids = [99]\n", "2:17: [policy] ignore_vmids: 99 is not a Proxmox VM id (100 to 999999999)")]
    [InlineData("[policy]\nignore_tags = [\"has space\"]\n", "2:16: [policy] ignore_tags: 'has space' is not a Proxmox tag (letters, digits, '_', '-', '+', '.')")]
    [InlineData("[report]\nprometheus_textfile = \"/var/lib/node-exporter/guard.txt\"\n", "2:23: [report] prometheus_textfile must end in .prom (node_exporter's textfile collector reads only *.prom), got '/var/lib/node-exporter/guard.txt'")]
    [InlineData("[daemon]\ninterval_seconds = 5\n", "2:20: [daemon] interval_seconds must be between 60 and 604800, got 5")]
    [InlineData("[facts]\nmax_age_seconds = -1\n", "2:19: [facts] max_age_seconds must be between 0 and 31622400, got -1")]
    [InlineData("[facts]\nmax_age_seconds = 9999999999\n", "2:19: [facts] max_age_seconds must be between 0 and 31622400, got 9999999999")]
    [InlineData("[cluster]\nlocal_node = \"pve 1\"\n", "2:14: [cluster] local_node must be a Proxmox node name (letters, digits and '-'), got 'pve 1'")]
    [InlineData("[cluster]\npve_root = \"\"\n", "2:12: [cluster] pve_root must not be empty (comment the line out to use the default)")]
    [InlineData("[hook]\nchain = \"old-hook.pl\"\n", "2:9: [hook] chain must be an absolute path or a snippet volume such as 'local:snippets/hook.pl', got 'old-hook.pl'")]
    [InlineData("[ssh]\nuser = \"root@pve1\"\n", "2:8: [ssh] user must be a Unix user name, got 'root@pve1'")]
    [InlineData("[ssh]\n\"port\" = \"22\"\n", "2:10: [ssh] port must be an integer, got string")]
    [InlineData("\uFEFF[ssh]\nprot = 22\n", "2:1: unknown key 'prot' in [ssh] (did you mean 'port'?)")]
    public void Bad_values_name_the_key_and_point_at_the_value(string text, string expected)
    {
        var error = Assert.Throws<GuardConfigurationException>(() => GuardConfigLoader.Load(text, "/etc/proxclmc-guard/proxclmc-guard.toml"));

        Assert.Equal("/etc/proxclmc-guard/proxclmc-guard.toml:" + expected, error.Message);
    }

    [Fact]
    public void The_baseline_keyword_is_accepted_in_any_case_and_stored_lower_case()
    {
        var config = GuardConfigLoader.Load("[policy]\nbaseline = \"AUTO\"\n[fix]\ntarget = \"Named\"\n", "t.toml");

        Assert.Equal("auto", config.Policy.Baseline);
        Assert.False(config.Policy.IsPinned);
        Assert.Equal(FixTargetKind.Named, config.Fix.TargetKind);
    }

    [Fact]
    public void Model_names_are_checked_against_the_catalog_when_the_caller_gives_one()
    {
        var known = new HashSet<string>(StringComparer.Ordinal) { "x86-64-v3", "Skylake-Server" };
        const string text = "[policy]\nbaseline = \"Skylake-Servr\"\n";

        var error = Assert.Throws<GuardConfigurationException>(() => GuardConfigLoader.Load(text, "t.toml", known.Contains));

        Assert.Equal("t.toml:2:12: [policy] baseline 'Skylake-Servr' is not a CPU model Proxmox knows", error.Message);
        Assert.Equal("Skylake-Servr", GuardConfigLoader.Load(text, "t.toml").Policy.Baseline);
        Assert.Equal("x86-64-v3", GuardConfigLoader.Load("[fix]\ntarget = \"x86-64-v3\"\n", "t.toml", known.Contains).Fix.Target);
    }

    [Theory]
    [InlineData("pve1.example.com", "pve1")]
    [InlineData("pve1", "pve1")]
    public void The_local_node_defaults_to_the_short_host_name(string hostName, string expected)
    {
        Assert.Equal(expected, GuardConfig.Default.WithLocalNodeDefault(hostName).Cluster.LocalNode);
    }

    [Fact]
    public void A_configured_local_node_is_kept()
    {
        var config = GuardConfigLoader.Load("[cluster]\nlocal_node = \"pve-b1\"\n", "t.toml");

        Assert.Equal("pve-b1", config.WithLocalNodeDefault("otherhost.example.com").Cluster.LocalNode);
    }

    [Fact]
    public void Reports_can_be_turned_off_with_an_empty_path()
    {
        var config = GuardConfigLoader.Load("[report]\njson_file = \"\"\nprometheus_textfile = \"\"\n", "t.toml");

        Assert.Null(config.Report.JsonFile);
        Assert.Null(config.Report.PrometheusTextfile);
    }

    [Fact]
    public void Insecure_tls_is_allowed_and_visible_to_the_caller()
    {
        var config = GuardConfigLoader.Load("[api]\ninsecure_skip_verify = true\n", "t.toml");

        Assert.True(config.Api.InsecureSkipVerify);
    }

    [Theory]
    [InlineData("[ssh]\nknown_hosts = {0}\n", "[", "]")]
    [InlineData("ssh = {0}\n", "{a=", "}")]
    public void Deep_nesting_is_refused_not_a_crash(string template, string open, string close)
    {
        var nested = string.Concat(Enumerable.Repeat(open, 10_000)) + "1" + string.Concat(Enumerable.Repeat(close, 10_000));

        var error = Assert.Throws<GuardConfigurationException>(() => GuardConfigLoader.Load(string.Format(template, nested), "deep.toml"));

        Assert.Equal("deep.toml: arrays or inline tables nested more than 64 levels deep", error.Message);
    }

    [Fact]
    public void Text_larger_than_the_limit_is_refused_without_parsing()
    {
        var text = "# " + new string('x', InputLimits.MaxConfigBytes) + "\n";

        var error = Assert.Throws<GuardConfigurationException>(() => GuardConfigLoader.Load(text, "big.toml"));

        Assert.Equal($"big.toml: larger than {InputLimits.MaxConfigBytes} bytes, not a configuration file", error.Message);
    }
}
