using System.Diagnostics;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Infrastructure.Ssh;
using ProxClmc.Guard.Testing;
using ProxClmc.Guard.Testing.Ssh;
using Xunit.Abstractions;

namespace ProxClmc.Guard.Infrastructure.Tests.Ssh;

/// <summary>Given a fixture cluster, facts over SSH are exactly the facts of the same cpuinfo files read from disk.</summary>
public sealed class SshFactsSourceTests(SshClusterFixture cluster) : IClassFixture<SshClusterFixture>
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Facts_over_ssh_equal_the_facts_parsed_from_the_same_files()
    {
        var ssh = cluster.Ssh;
        var membership = new ClusterMembership("fixture",
            new[] { "pve1", "pve2", "pve3", "pve4" }.Select((n, i) => new ClusterNode(n, i + 1, [new NodeLink(0, ssh[n].Address)])).ToList());
        var options = new SshOptions
        {
            Port = ssh.Port,
            IdentityFile = ssh.ClientKeyRsaOpenSsh,
            KnownHostsFiles = [ssh.KnownHostsHashed],
            ConnectTimeout = ServerTimeouts.Answer,
            CommandTimeout = ServerTimeouts.Answer,
        };
        var time = NSubstitute.Substitute.For<TimeProvider>();
        NSubstitute.SubstituteExtensions.Returns(time.GetUtcNow(), Noon);
        using var source = new SshFactsSource(options, time);
        using var cts = new CancellationTokenSource(ServerTimeouts.Run);

        var facts = await source.GetFactsAsync(membership, cts.Token);

        Assert.Equal(["pve1", "pve2", "pve3", "pve4"], facts.Select(f => f.Node));
        foreach (var f in facts)
        {
            Assert.True(f.Cpu is not null, f.Error);
            var expected = CpuInfoParser.Parse(File.ReadAllText(ssh[f.Node].Spec.CpuInfoFile), $"{f.Node}:/proc/cpuinfo").GetValueOrThrow();
            Assert.Equal(FactsSource.Ssh, f.Source);
            Assert.Equal(ssh[f.Node].Address, f.Address);
            Assert.Equal(Noon, f.CollectedAt);
            Assert.Equal(expected.VendorId, f.Cpu.VendorId);
            Assert.Equal((expected.Family, expected.Model, expected.Stepping), (f.Cpu.Family, f.Cpu.Model, f.Cpu.Stepping));
            Assert.Equal(expected.ModelName, f.Cpu.ModelName);
            Assert.True(expected.Flags.SetEquals(f.Cpu.Flags));
            Assert.True(expected.Bugs.SetEquals(f.Cpu.Bugs));
            Assert.Equal(expected.PhysicalAddressBits, f.Cpu.PhysicalAddressBits);
            Assert.Equal(expected.ProcessorCount, f.Cpu.ProcessorCount);
            Assert.Equal(expected.Architecture, f.Cpu.Architecture);
        }
    }

    [Fact]
    public void A_cpuinfo_that_does_not_parse_makes_the_node_unreadable_with_the_located_error()
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Corpus, "cpuinfo", "NONX86-ppc64le-power9.txt"));

        var facts = SshFactsSource.ToFacts(new RemoteCpuInfo("pve9", "10.0.0.9", text, null), Noon);

        Assert.Null(facts.Cpu);
        Assert.StartsWith("pve9:/proc/cpuinfo", facts.Error);
        Assert.Equal("10.0.0.9", facts.Address);
    }
}

/// <summary>32 fixture nodes that each answer after 200 ms, read in parallel: every one answers with its own file.</summary>
public sealed class SshScaleTests : IAsyncLifetime
{
    private const int NodeCount = 32;
    private SshFixture _ssh = null!;

    public async Task InitializeAsync()
    {
        var files = SshClusterFixture.CpuInfoFiles;
        var specs = Enumerable.Range(1, NodeCount)
            .Select(i => new FakeSshNodeSpec($"node{i:00}", SshClusterFixture.CpuInfo(files[i % files.Length])) { DelaySeconds = 0.2, RsaHostKey = false })
            .ToList();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        _ssh = await SshFixture.StartAsync(specs, cts.Token);
    }

    public async Task DisposeAsync() => await _ssh.DisposeAsync();

    [Fact]
    public async Task Thirty_two_slow_nodes_are_all_read_in_one_parallel_collection()
    {
        var options = new SshOptions
        {
            Port = _ssh.Port,
            IdentityFile = _ssh.ClientKeyEd25519,
            KnownHostsFiles = [_ssh.KnownHostsPlain],
            ConnectTimeout = ServerTimeouts.Answer,
            CommandTimeout = ServerTimeouts.Answer,
            Parallelism = int.TryParse(Environment.GetEnvironmentVariable("PROXCLMC_SSH_SCALE_PARALLELISM"), out var p) && p > 0 ? p : 8,
        };
        using var source = new SshFactsSource(options);
        using var cts = new CancellationTokenSource(ServerTimeouts.Run);

        var results = await source.ReadAllAsync(_ssh.Membership.Nodes, cts.Token);

        Assert.All(results, r => Assert.True(r.IsSuccess, r.Error));
        Assert.Equal(_ssh.Nodes.Select(n => File.ReadAllText(n.Spec.CpuInfoFile)), results.Select(r => r.Text));
        // Wall time is measured by the scale harness (tests/ProxClmc.Guard.Benchmarks), not here.
    }

    [Fact]
    public async Task At_the_default_parallelism_the_whole_cluster_is_one_wave_and_every_node_answers_with_its_own_file()
    {
        var options = new SshOptions
        {
            Port = _ssh.Port,
            IdentityFile = _ssh.ClientKeyEd25519,
            KnownHostsFiles = [_ssh.KnownHostsPlain],
            ConnectTimeout = TimeSpan.FromSeconds(20),
            CommandTimeout = TimeSpan.FromSeconds(20),
        };
        using var source = new SshFactsSource(options);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        var results = await source.ReadAllAsync(_ssh.Membership.Nodes, cts.Token);

        Assert.True(options.Parallelism >= 64, $"default [ssh] parallelism {options.Parallelism}");
        Assert.All(results, r => Assert.True(r.IsSuccess, r.Error));
        Assert.Equal(_ssh.Nodes.Select(n => File.ReadAllText(n.Spec.CpuInfoFile)), results.Select(r => r.Text));
        Assert.Equal(_ssh.Nodes.Select(n => n.Address), results.Select(r => r.Address));
    }
}

/// <summary>The fixture's corosync.conf is what Proxmox's parser reads back as the fixture cluster.</summary>
public sealed class SshFixtureCorosyncTests(SshClusterFixture cluster) : IClassFixture<SshClusterFixture>
{
    [Fact]
    public void Corosync_conf_lists_every_fixture_node_with_its_address()
    {
        var membership = Core.Cluster.CorosyncConfig.Parse(cluster.Ssh.CorosyncConf(deadRing0: ["pve2"]), "fixture/corosync.conf").GetValueOrThrow();

        Assert.Equal("fixture", membership.ClusterName);
        Assert.Equal(cluster.Ssh.Nodes.Select(n => n.Name), membership.Nodes.Select(n => n.Name));
        Assert.Equal(cluster.Ssh["pve1"].Address, membership.Nodes[0].Addresses.Single());
        Assert.Equal(cluster.Ssh["pve2"].Address, membership.Nodes[1].Addresses.Last());
        Assert.NotEqual(cluster.Ssh["pve2"].Address, membership.Nodes[1].Addresses.First());
    }

    [Fact]
    public void The_snapshot_holds_each_nodes_cpuinfo()
    {
        var dir = Path.Combine(cluster.Ssh.Directory, "snapshot-" + Guid.NewGuid().ToString("N")[..6]);

        cluster.Ssh.WriteSnapshot(dir);

        foreach (var n in cluster.Ssh.Nodes)
        {
            Assert.Equal(File.ReadAllText(n.Spec.CpuInfoFile), File.ReadAllText(Path.Combine(dir, "nodes", n.Name, "cpuinfo")));
        }

        Assert.True(File.Exists(Path.Combine(dir, "corosync.conf")));
    }
}
