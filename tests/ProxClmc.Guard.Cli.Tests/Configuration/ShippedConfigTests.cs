using System.Text.RegularExpressions;
using ProxClmc.Guard.Configuration;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Configuration;

/// <summary>The documented proxclmc-guard.toml at the repository root, as the package installs it.</summary>
public sealed class ShippedConfigTests
{
    private static readonly string ShippedPath = RepoPaths.Combine("proxclmc-guard.toml");

    // The keys DESIGN.md "Configuration" fixes, section by section, plus [api] proxy (see README, "Where this differs
    // from DESIGN.md").
    public static TheoryData<string, string> DesignKeys => new()
    {
        { "cluster", "corosync_conf" }, { "cluster", "pve_root" }, { "cluster", "local_node" },
        { "facts", "source" }, { "facts", "local_cpuinfo" }, { "facts", "qemu_binary" }, { "facts", "cache_file" }, { "facts", "max_age_seconds" },
        { "ssh", "user" }, { "ssh", "port" }, { "ssh", "identity_file" }, { "ssh", "known_hosts" },
        { "ssh", "connect_timeout_seconds" }, { "ssh", "command_timeout_seconds" }, { "ssh", "parallelism" },
        { "api", "url" }, { "api", "token_id" }, { "api", "token_secret_file" }, { "api", "username" }, { "api", "password_file" },
        { "api", "ca_file" }, { "api", "fingerprint" }, { "api", "insecure_skip_verify" }, { "api", "timeout_seconds" }, { "api", "parallelism" },
        { "api", "proxy" },
        { "policy", "baseline" }, { "policy", "strict_vendor" }, { "policy", "ignore_tags" }, { "policy", "ignore_vmids" }, { "policy", "host_cpu" },
        { "fix", "target" }, { "fix", "strategy" }, { "fix", "include_running" }, { "fix", "undo_dir" }, { "fix", "plan_max_age_seconds" },
        { "daemon", "interval_seconds" },
        { "report", "json_file" }, { "report", "prometheus_textfile" }, { "report", "html_file" },
        { "history", "state_file" },
        { "hook", "block_unsafe_start" }, { "hook", "fail_closed" }, { "hook", "chain" }, { "hook", "allow_foreign_host_cpu" },
        { "remote", "url" }, { "remote", "token_id" }, { "remote", "token_secret_file" }, { "remote", "ca_file" }, { "remote", "fingerprint" },
        { "remote", "pve_root" }, { "remote", "from" },
    };

    // [remote.<name>] is a pattern, shown last and commented out as [remote.office]: the tests that switch on the
    // documented values work on the part of the file before it.
    private const string RemoteMarker = "\n# [remote.office]\n";

    private static int RemoteKeys => DesignKeys.Count(row => (string)row[0] == "remote");

    private static string[] LinesBeforeRemote(out string rest)
    {
        var text = File.ReadAllText(ShippedPath);
        var at = text.IndexOf(RemoteMarker, StringComparison.Ordinal);
        rest = text[at..];
        return text[..at].Split('\n');
    }

    // Keys that are unset by default; the file shows an example for them instead of a default.
    private static readonly HashSet<string> UnsetByDefault =
    [
        "corosync_conf", "local_node", "token_id", "token_secret_file", "username", "password_file", "fingerprint", "chain", "proxy", "qemu_binary", "html_file", "state_file",
    ];

    [Fact]
    public void The_shipped_file_loads_to_exactly_the_defaults()
    {
        Assert.Equal(GuardConfig.Default, GuardConfigLoader.LoadFile(ShippedPath));
    }

    [Theory]
    [MemberData(nameof(DesignKeys))]
    public void Every_key_of_the_design_is_documented_in_its_section(string section, string key)
    {
        var text = File.ReadAllText(ShippedPath);

        var sectionAt = text.IndexOf(section == "remote" ? RemoteMarker : $"\n[{section}]\n", StringComparison.Ordinal);
        Assert.True(sectionAt >= 0, $"[{section}] missing");
        var nextSection = text.IndexOf("\n[", sectionAt + 1, StringComparison.Ordinal);
        var body = text[sectionAt..(nextSection < 0 ? text.Length : nextSection)];
        Assert.Matches(new Regex($"(?m)^(# )?{key} = "), body);
    }

    [Fact]
    public void The_design_keys_are_exactly_the_keys_the_loader_accepts()
    {
        var design = DesignKeys.Select(row => $"{row[0]}.{row[1]}").Order().ToArray();
        var loader = GuardConfigLoader.Schema.SelectMany(s => s.Value.Select(k => $"{s.Key}.{k}")).Order().ToArray();

        Assert.Equal(design, loader);
    }

    [Fact]
    public void Uncommenting_every_documented_default_changes_nothing()
    {
        // "# key = value" lines show the default; turning them all on must give the same configuration,
        // which proves the documented values are the real defaults.
        var lines = LinesBeforeRemote(out var rest).Select(line =>
        {
            var match = Regex.Match(line, @"^# ([a-z_]+) = ");
            return match.Success && !UnsetByDefault.Contains(match.Groups[1].Value) ? line[2..] : line;
        });
        var uncommented = string.Join('\n', lines) + rest;
        Assert.Equal(DesignKeys.Count - RemoteKeys - UnsetByDefault.Count, Regex.Count(uncommented, @"(?m)^[a-z_]+ = "));

        Assert.Equal(GuardConfig.Default, GuardConfigLoader.Load(uncommented, "uncommented.toml"));
    }

    [Theory]
    [InlineData("username", "password_file")]
    [InlineData("token_id", "token_secret_file")]
    public void The_documented_examples_for_unset_keys_are_valid(string leftOutKey1, string leftOutKey2)
    {
        // Token and password login exclude each other: try each example set on its own.
        string[] leftOut = [leftOutKey1, leftOutKey2];
        var lines = LinesBeforeRemote(out var rest).Select(line =>
            Regex.Match(line, @"^# ([a-z_]+) = ") is { Success: true } match && !leftOut.Contains(match.Groups[1].Value) ? line[2..] : line);

        var config = GuardConfigLoader.Load(string.Join('\n', lines) + rest, "examples.toml");

        Assert.Equal("local:snippets/old-hook.pl", config.Hook.Chain);
        Assert.Equal("pve1", config.Cluster.LocalNode);
        Assert.Equal("/etc/pve/corosync.conf", config.Cluster.CorosyncConf);
        Assert.Equal("AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89", config.Api.Fingerprint);
        Assert.True(config.Api.HasCredentials);
        Assert.NotEqual(config.Api.HasTokenAuth, config.Api.HasPasswordAuth);
    }
}
