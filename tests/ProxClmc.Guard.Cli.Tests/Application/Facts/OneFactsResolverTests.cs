using System.Text.Json.Nodes;
using ProxClmc.Guard.Cli.Tests.Snapshot;
using ProxClmc.Guard.Cli.Tests.Ssh;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Application.Facts;

/// <summary>
/// <c>scan</c>, <c>check</c> and the hook read node facts through the one resolver: given the same published facts,
/// facts cache and real sshd nodes, they reach the same answer about the migration source. The cluster is the SSH
/// fixture's pve1..pve4 (four different CPUs); this host is pve1 (its cpuinfo is pve1's), and VM 106 (cpu: host) moves
/// from pve2 to pve1: allowed when pve2 has pve1's CPU, refused when it has its own (Ivy Bridge against EPYC), and
/// undecided when pve2 cannot be read.
/// </summary>
public sealed class OneFactsResolverTests(SshCliFixture cluster) : IClassFixture<SshCliFixture>
{
    private const string VmId = "106";

    private static readonly string Pve1CpuInfo = GuardRun.CpuInfo(Testing.Ssh.SshClusterFixture.CpuInfoFiles[0]);

    /// <summary>The tree (corosync.conf of the fixture, VM 106 on pve2, pve2's host key as Proxmox keeps it) and its config.</summary>
    private (string Root, string Config, string Cache) Cluster(string? knownHosts = null)
    {
        var root = cluster.PveTree();
        Directory.CreateDirectory(Path.Combine(root, "nodes", "pve2", "qemu-server"));
        File.Copy(GuardRun.Fixture("hook", "host.conf"), Path.Combine(root, "nodes", "pve2", "qemu-server", $"{VmId}.conf"), overwrite: true);
        var pve2 = cluster.Ssh["pve2"];
        File.WriteAllLines(
            Path.Combine(root, "nodes", "pve2", "ssh_known_hosts"),
            File.ReadAllLines(cluster.Ssh.KnownHostsPlain).Where(l => l.StartsWith(cluster.Ssh.HostField(pve2.Address) + " ", StringComparison.Ordinal)));
        var state = cluster.NewFolder("state");
        Directory.CreateDirectory(state);
        var cache = Path.Combine(state, "facts-cache.json");
        return (root, Config(root, cache, knownHosts), cache);
    }

    private string Config(string root, string cache, string? knownHosts)
    {
        var path = Path.Combine(cluster.Directory, $"guard-{Guid.NewGuid():N}.toml");
        File.WriteAllText(path, $"""
            [cluster]
            corosync_conf = "{root}/corosync.conf"
            pve_root = "{root}"
            local_node = "pve1"

            [facts]
            local_cpuinfo = "{Pve1CpuInfo}"
            qemu_binary = "{root}/no-kvm"
            cache_file = "{cache}"
            max_age_seconds = 3600

            [ssh]
            user = "root"
            port = {cluster.Ssh.Port}
            identity_file = "{cluster.Ssh.ClientKeyEd25519}"
            known_hosts = ["{knownHosts ?? cluster.Ssh.KnownHostsPlain}"]
            connect_timeout_seconds = {ServerTimeouts.AnswerSeconds}
            command_timeout_seconds = {ServerTimeouts.AnswerSeconds}

            [hook]
            fail_closed = true
            """);
        return path;
    }

    /// <summary>pve2's published facts document, claiming pve1's CPU, collected at <paramref name="collectedAt"/>.</summary>
    private static void PublishForPve2(string root, DateTimeOffset collectedAt)
    {
        var document = new JsonObject
        {
            ["node"] = "pve2",
            ["collectedAt"] = collectedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            ["kernel"] = "6.8.12-4-pve",
            ["microcode"] = "",
            ["cpuinfo"] = File.ReadAllText(Pve1CpuInfo),
            ["qemu"] = null,
            ["qemuError"] = "no QEMU answer",
        };
        var folder = Path.Combine(root, "nodes", "pve2", "proxclmc-guard");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "facts.json"), document.ToJsonString());
    }

    /// <summary>What each verb answers: scan's source and readability of pve2 and exit code, check's exit code, the hook's exit code and line.</summary>
    private sealed record Answers(string? ScanSource, bool ScanReadable, int ScanExit, int CheckExit, int HookExit, string HookLine);

    private static Answers Ask(string config, params string[] extra)
    {
        var scan = GuardRun.Run(["scan", "--config", config, "--format", "json", .. extra]);
        var pve2 = ReportJson.Nodes(scan.Out)["pve2"];
        var check = GuardRun.Run(["check", VmId, "--target", "pve1", "--config", config, .. extra]);
        var hook = GuardRun.RunWith(new Dictionary<string, string> { ["PVE_MIGRATED_FROM"] = "pve2" }, "hook", VmId, "pre-start", "--config", config);
        return new Answers(
            pve2.TryGetProperty("source", out var source) ? source.GetString() : null,
            pve2.GetProperty("readable").GetBoolean(),
            scan.Exit,
            check.Exit,
            hook.Exit,
            hook.ErrorLines.FirstOrDefault(l => l.Contains("refusing", StringComparison.Ordinal)) ?? "");
    }

    [Fact]
    public void A_fresh_published_document_is_what_scan_check_and_the_hook_use()
    {
        var (root, config, _) = Cluster();
        PublishForPve2(root, GuardRun.Now.AddMinutes(-10));

        var answers = Ask(config);

        // pve2's published CPU is pve1's: the host guest can move, although pve2's sshd would say Ivy Bridge.
        Assert.Equal("published", answers.ScanSource);
        Assert.True(answers.ScanReadable);
        Assert.Equal(0, answers.CheckExit);
        Assert.Equal(0, answers.HookExit);
        Assert.Equal("", answers.HookLine);
    }

    [Fact]
    public void A_stale_published_document_gives_way_to_the_live_node_in_scan_check_and_the_hook()
    {
        var (root, config, _) = Cluster();
        PublishForPve2(root, GuardRun.Now.AddHours(-2));

        var answers = Ask(config);

        // Read over SSH, pve2 is an Ivy Bridge: the host guest cannot move onto pve1's EPYC.
        Assert.Equal("ssh", answers.ScanSource);
        Assert.True(answers.ScanReadable);
        Assert.Equal(2, answers.CheckExit);
        Assert.Equal(2, answers.HookExit);
        Assert.StartsWith("proxclmc-guard: refusing migration of VM 106 from pve2 to pve1: ", answers.HookLine, StringComparison.Ordinal);
        Assert.DoesNotContain("fail_closed", answers.HookLine, StringComparison.Ordinal);
    }

    [Fact]
    public void A_published_document_dated_in_the_future_is_refused_by_scan_check_and_the_hook()
    {
        var (root, config, _) = Cluster();
        PublishForPve2(root, GuardRun.Now.AddYears(3));

        var answers = Ask(config);

        Assert.Equal("ssh", answers.ScanSource);
        Assert.Equal(2, answers.CheckExit);
        Assert.Equal(2, answers.HookExit);
        Assert.DoesNotContain("fail_closed", answers.HookLine, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_only_in_the_cache_with_SSH_down_is_not_decided_by_scan_check_or_the_hook()
    {
        var (root, config, cache) = Cluster();

        // A first scan while pve2 answers records its CPU (Ivy Bridge) in the cache, with its host key.
        var first = GuardRun.Run("scan", "--config", config, "--format", "json");
        Assert.Equal("ssh", ReportJson.Nodes(first.Out)["pve2"].GetProperty("source").GetString());
        Assert.Contains("\"pve2\"", File.ReadAllText(cache), StringComparison.Ordinal);

        // Then pve2's sshd cannot be trusted (its host key is no longer known): it cannot be read live.
        var pve2 = cluster.Ssh["pve2"];
        var knownHosts = cluster.Ssh.WriteFile(
            $"known_hosts_without_pve2_{Guid.NewGuid():N}",
            File.ReadAllLines(cluster.Ssh.KnownHostsPlain).Where(l => !l.StartsWith(cluster.Ssh.HostField(pve2.Address) + " ", StringComparison.Ordinal)));
        var down = Config(root, cache, knownHosts);

        var answers = Ask(down);

        // None of the three decides on the cached CPU by itself: scan and check cannot tell (exit 3), and the hook
        // could not decide (refused here by hook.fail_closed), rather than refusing from the cached Ivy Bridge.
        Assert.False(answers.ScanReadable);
        Assert.Equal(3, answers.ScanExit);
        Assert.Equal(3, answers.CheckExit);
        Assert.Equal(2, answers.HookExit);
        Assert.StartsWith("proxclmc-guard: refusing start of VM 106: CPU of the source node pve2 unknown", answers.HookLine, StringComparison.Ordinal);
        Assert.EndsWith("(hook.fail_closed = true)", answers.HookLine, StringComparison.Ordinal);

        // With --allow-partial, scan and check judge pve2 by its cached CPU, from the same machine (its host key).
        var partial = GuardRun.Run("scan", "--config", down, "--format", "json", "--allow-partial");
        Assert.Equal("cache", ReportJson.Nodes(partial.Out)["pve2"].GetProperty("source").GetString());
        Assert.Equal(2, GuardRun.Run("check", VmId, "--target", "pve1", "--config", down, "--allow-partial").Exit);
    }
}
