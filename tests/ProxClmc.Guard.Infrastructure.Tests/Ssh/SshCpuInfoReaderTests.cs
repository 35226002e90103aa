using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Ssh;
using ProxClmc.Guard.Testing;
using ProxClmc.Guard.Testing.Ssh;
using Xunit.Abstractions;

namespace ProxClmc.Guard.Infrastructure.Tests.Ssh;

/// <summary>Given real sshd nodes on loopback, the collector reads each node's /proc/cpuinfo or says in one line why not.</summary>
public sealed class SshCpuInfoReaderTests(SshClusterFixture cluster, ITestOutputHelper output) : IClassFixture<SshClusterFixture>
{
    private static readonly TimeSpan TestLimit = ServerTimeouts.Run;

    private SshFixture Ssh => cluster.Ssh;

    private SshOptions Options(string? knownHosts = null, string? key = null) => new()
    {
        Port = Ssh.Port,
        IdentityFile = key ?? Ssh.ClientKeyEd25519,
        KnownHostsFiles = [knownHosts ?? Ssh.KnownHostsPlain],
        // Generous for healthy nodes on a loaded machine; the broken cases are silent servers that end at these limits.
        ConnectTimeout = ServerTimeouts.Answer,
        CommandTimeout = ServerTimeouts.Answer,
        Parallelism = 8,
    };

    private ClusterMembership Healthy(params string[] names) =>
        new("fixture", names.Select((n, i) => new ClusterNode(n, i + 1, [new NodeLink(0, Ssh[n].Address)])).ToList());

    private static async Task<IReadOnlyList<RemoteCpuInfo>> ReadAsync(SshOptions options, ClusterMembership membership)
    {
        using var cts = new CancellationTokenSource(TestLimit);
        using var source = new SshFactsSource(options);
        return await source.ReadAllAsync(membership.Nodes, cts.Token);
    }

    private void AssertServes(RemoteCpuInfo result, string node)
    {
        Assert.True(result.IsSuccess, result.Error);
        Assert.Equal(node, result.Node);
        Assert.Equal(File.ReadAllText(Ssh[node].Spec.CpuInfoFile), result.Text);
    }

    [Fact]
    public async Task Four_nodes_each_serve_their_own_cpuinfo()
    {
        var results = await ReadAsync(Options(), Healthy("pve1", "pve2", "pve3", "pve4"));

        Assert.Equal(["pve1", "pve2", "pve3", "pve4"], results.Select(r => r.Node));
        foreach (var r in results)
        {
            AssertServes(r, r.Node);
            Assert.Equal(Ssh[r.Node].Address, r.Address);
        }
    }

    [Fact]
    public async Task Hashed_known_hosts_entries_are_matched()
    {
        var results = await ReadAsync(Options(Ssh.KnownHostsHashed), Healthy("pve1", "pve2"));

        AssertServes(results[0], "pve1");
        AssertServes(results[1], "pve2");
    }

    [Fact]
    public async Task Known_hosts_by_node_name_are_matched_like_proxmox_host_key_alias()
    {
        var results = await ReadAsync(Options(Ssh.KnownHostsByName), Healthy("pve3"));

        AssertServes(results[0], "pve3");
    }

    [Fact]
    public async Task Per_node_known_hosts_file_is_found_through_the_node_placeholder()
    {
        foreach (var n in new[] { "pve1", "pve2" })
        {
            var dir = Path.Combine(Ssh.Directory, "pve", "nodes", n);
            Directory.CreateDirectory(dir);
            File.WriteAllLines(Path.Combine(dir, "ssh_known_hosts"), Ssh[n].HostPublicKeys.Select(k => $"{Ssh.HostField(n)} {k}"));
        }

        var options = Options() with { KnownHostsFiles = [Path.Combine(Ssh.Directory, "missing"), Path.Combine(Ssh.Directory, "pve", "nodes", "{node}", "ssh_known_hosts")] };
        var results = await ReadAsync(options, Healthy("pve1", "pve2"));

        AssertServes(results[0], "pve1");
        AssertServes(results[1], "pve2");
    }

    [Fact]
    public async Task Bad_known_hosts_lines_are_skipped_and_reported_with_their_location()
    {
        var lines = new List<string> { "pve1 ssh-ed25519 not-base64!", "@bogus pve1 ssh-ed25519 AAAA" };
        lines.AddRange(Ssh["pve1"].HostPublicKeys.Select(k => $"{Ssh.HostField(Ssh["pve1"].Address)} {k}"));
        var knownHosts = Ssh.WriteFile("known_hosts_with_bad_lines", lines);
        using var source = new SshFactsSource(Options(knownHosts));
        using var cts = new CancellationTokenSource(TestLimit);

        var results = await source.ReadAllAsync(Healthy("pve1").Nodes, cts.Token);

        AssertServes(results[0], "pve1");
        Assert.Equal([$"{knownHosts}:1: key is not valid base64, line skipped", $"{knownHosts}:2: unknown marker @bogus, line skipped"], source.Warnings);
    }

    [Fact]
    public async Task Rsa_only_known_hosts_like_pve_priv_known_hosts_is_enough()
    {
        var results = await ReadAsync(Options(Ssh.KnownHostsRsaOnly), Healthy("pve1", "pve4"));

        AssertServes(results[0], "pve1");
        AssertServes(results[1], "pve4");
    }

    [Fact]
    public async Task Ipv6_address_works()
    {
        var results = await ReadAsync(Options(), Healthy("pve-v6"));

        AssertServes(results[0], "pve-v6");
        Assert.Equal("::1", results[0].Address);
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("rsa-pem")]
    [InlineData("rsa-openssh")]
    public async Task Client_keys_in_openssh_and_pem_formats_authenticate(string kind)
    {
        var key = kind switch
        {
            "ed25519" => Ssh.ClientKeyEd25519,
            "rsa-pem" => Ssh.ClientKeyRsaPem,
            _ => Ssh.ClientKeyRsaOpenSsh,
        };
        Assert.Equal(kind == "rsa-pem", File.ReadAllText(key).StartsWith("-----BEGIN RSA PRIVATE KEY-----", StringComparison.Ordinal));

        var results = await ReadAsync(Options(key: key), Healthy("pve2"));

        AssertServes(results[0], "pve2");
    }

    [Fact]
    public async Task Dead_ring0_falls_back_to_ring1()
    {
        var dead = Ssh.AllocateAddress();
        var membership = new ClusterMembership("fixture", [new ClusterNode("pve3", 3, [new NodeLink(1, Ssh["pve3"].Address), new NodeLink(0, dead)])]);

        var results = await ReadAsync(Options(), membership);

        AssertServes(results[0], "pve3");
        Assert.Equal(Ssh["pve3"].Address, results[0].Address);
    }

    [Fact]
    public async Task A_node_with_every_link_dead_reports_each_address_tried()
    {
        var ring0 = Ssh.AllocateAddress();
        var ring1 = Ssh.AllocateAddress();
        var membership = new ClusterMembership("fixture", [new ClusterNode("pve7", 7, [new NodeLink(0, ring0), new NodeLink(1, ring1)])]);

        var results = await ReadAsync(Options(), membership);

        Assert.Equal(
            $"pve7 ({ring0}): connection refused on port {Ssh.Port} | pve7 ({ring1}): connection refused on port {Ssh.Port}",
            results[0].Error);
        Assert.Equal(ring0, results[0].Address);
    }

    [Fact]
    public async Task Each_broken_node_gets_its_own_reason_while_the_others_answer()
    {
        var changedKey = await Ssh.NewPublicKeyAsync();
        var lines = new List<string>();
        foreach (var n in new[] { "pve1", "pve2", "pve-nokey" })
        {
            lines.AddRange(Ssh[n].HostPublicKeys.Select(k => $"{Ssh.HostField(Ssh[n].Address)} {k}"));
        }

        lines.Add($"{Ssh.HostField(Ssh["pve4"].Address)} {changedKey}");
        var knownHosts = Ssh.WriteFile("known_hosts_broken", lines);
        var closed = Ssh.AllocateAddress();
        var silent = Ssh.StartSilentServer();
        var stalls = Ssh.StartSilentServer("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3");
        var membership = new ClusterMembership("fixture",
        [
            new ClusterNode("pve1", 1, [new NodeLink(0, Ssh["pve1"].Address)]),
            new ClusterNode("unknown", 2, [new NodeLink(0, Ssh["pve3"].Address)]),
            new ClusterNode("changed", 3, [new NodeLink(0, Ssh["pve4"].Address)]),
            new ClusterNode("pve-nokey", 4, [new NodeLink(0, Ssh["pve-nokey"].Address)]),
            new ClusterNode("closed", 5, [new NodeLink(0, closed)]),
            new ClusterNode("silent", 6, [new NodeLink(0, silent)]),
            new ClusterNode("stalls", 7, [new NodeLink(0, stalls)]),
            new ClusterNode("pve2", 8, [new NodeLink(0, Ssh["pve2"].Address)]),
        ]);

        var results = (await ReadAsync(Options(knownHosts), membership)).ToDictionary(r => r.Node);

        AssertServes(results["pve1"], "pve1");
        AssertServes(results["pve2"], "pve2");
        foreach (var name in new[] { "unknown", "changed", "pve-nokey", "closed", "silent", "stalls" })
        {
            output.WriteLine(results[name].Error);
            Assert.False(results[name].IsSuccess);
            Assert.DoesNotContain('\n', results[name].Error!);
            Assert.Contains($"{name} (", results[name].Error);
        }

        Assert.StartsWith($"unknown ({Ssh["pve3"].Address}): host key unknown (ED25519 SHA256:", results["unknown"].Error);
        // Says how to compare the key on the node, never "connect once and trust it".
        Assert.Contains($"compare it with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` run on the node itself (its console, not over this network) before adding it to {knownHosts}", results["unknown"].Error);
        Assert.DoesNotContain("run `ssh", results["unknown"].Error);
        Assert.Contains("ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub", results["changed"].Error);
        Assert.StartsWith($"REMOTE HOST IDENTIFICATION HAS CHANGED for changed ({Ssh["pve4"].Address}): the server offers ED25519 SHA256:", results["changed"].Error);
        Assert.EndsWith("; refusing", results["changed"].Error);
        Assert.Contains($"{knownHosts}:{lines.Count}", results["changed"].Error);
        Assert.Contains("refused key authentication as root", results["pve-nokey"].Error);
        Assert.Contains("connection refused", results["closed"].Error);
        Assert.Contains($"no SSH handshake within {ServerTimeouts.AnswerSeconds} s (connect timeout)", results["silent"].Error);
        Assert.Contains($"no SSH handshake within {ServerTimeouts.AnswerSeconds} s (connect timeout)", results["stalls"].Error);
    }

    [Fact]
    public async Task Revoked_host_key_is_refused_even_when_also_listed()
    {
        var lines = Ssh["pve1"].HostPublicKeys.Select(k => $"{Ssh.HostField(Ssh["pve1"].Address)} {k}").ToList();
        lines.Add($"@revoked * {Ssh["pve1"].HostPublicKeys[0]}");
        var knownHosts = Ssh.WriteFile("known_hosts_revoked", lines);

        var results = await ReadAsync(Options(knownHosts), Healthy("pve1"));

        Assert.False(results[0].IsSuccess);
        Assert.Contains("is marked @revoked", results[0].Error);
    }

    [Fact]
    public async Task A_node_slower_than_the_command_timeout_is_cut_off_and_the_others_answer()
    {
        var results = await ReadAsync(Options(), Healthy("pve-slow", "pve1"));

        Assert.False(results[0].IsSuccess);
        Assert.Contains($"gave no complete answer within {ServerTimeouts.AnswerSeconds} s (command timeout)", results[0].Error);
        AssertServes(results[1], "pve1");
    }

    [Fact]
    public async Task Output_larger_than_the_limit_is_refused()
    {
        using var reader = new SshCpuInfoReader(Options()) { MaxOutputBytes = 1000 };
        using var cts = new CancellationTokenSource(TestLimit);

        var result = await reader.ReadAsync(new ClusterNode("pve1", 1, [new NodeLink(0, Ssh["pve1"].Address)]), cts.Token);

        Assert.False(result.IsSuccess);
        Assert.Contains("printed more than 1000 bytes", result.Error);
    }

    [Fact]
    public void A_missing_identity_file_is_a_configuration_error()
    {
        var ex = Assert.Throws<GuardConfigurationException>(() => new SshCpuInfoReader(Options(key: Path.Combine(Ssh.Directory, "no-such-key"))));
        Assert.StartsWith("ssh.identity_file:", ex.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_private_key_is_a_configuration_error()
    {
        var ex = Assert.Throws<GuardConfigurationException>(() => new SshCpuInfoReader(Options(key: Ssh.ClientKeyEd25519 + ".pub")));

        Assert.Equal($"ssh.identity_file: {Ssh.ClientKeyEd25519}.pub is not a usable private key", ex.Message.Split(" (")[0]);
    }

    [Fact]
    public async Task A_passphrase_protected_identity_file_is_a_configuration_error()
    {
        var path = Path.Combine(Ssh.Directory, "client", "id_with_passphrase");
        var psi = new System.Diagnostics.ProcessStartInfo(SshFixture.SshKeygen) { RedirectStandardOutput = true };
        foreach (var a in new[] { "-q", "-t", "ed25519", "-N", "correct horse", "-f", path })
        {
            psi.ArgumentList.Add(a);
        }

        using (var p = System.Diagnostics.Process.Start(psi)!)
        {
            await p.WaitForExitAsync();
            Assert.Equal(0, p.ExitCode);
        }

        var ex = Assert.Throws<GuardConfigurationException>(() => new SshCpuInfoReader(Options(key: path)));
        Assert.Contains("passphrase", ex.Message);
        Assert.DoesNotContain("correct horse", ex.Message);
    }
}
