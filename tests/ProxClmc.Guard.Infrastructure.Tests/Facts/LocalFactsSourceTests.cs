using System.Net;
using NSubstitute;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Infrastructure.Tests.Facts;

public sealed class LocalFactsSourceTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static readonly ClusterMembership Cluster = new("lab",
    [
        new ClusterNode("pve1", 1, [new NodeLink(0, "10.0.0.1"), new NodeLink(1, "fd00::1")]),
        new ClusterNode("pve2", 2, [new NodeLink(0, "10.0.0.2"), new NodeLink(1, "fd00::2")]),
        new ClusterNode("pve3", 3, [new NodeLink(0, "10.0.0.3")]),
    ]);

    private static string CpuInfoFile(string name) => Path.Combine(RepoPaths.Corpus, "cpuinfo", name);

    private static IHostIdentity Host(string name, params string[] addresses)
    {
        var host = Substitute.For<IHostIdentity>();
        host.HostName.Returns(name);
        host.Addresses.Returns(addresses.Select(IPAddress.Parse).ToList());
        return host;
    }

    private static TimeProvider Clock()
    {
        var time = Substitute.For<TimeProvider>();
        time.GetUtcNow().Returns(Noon);
        return time;
    }

    [Theory]
    [InlineData("pve2", new string[0], null, "pve2")]
    [InlineData("PVE2.lab.example", new string[0], null, "pve2")]
    [InlineData("other", new[] { "127.0.0.1", "fd00::3", "10.0.0.3" }, null, "pve3")]
    [InlineData("other", new[] { "::ffff:10.0.0.1" }, null, "pve1")]
    [InlineData("other", new[] { "fd00::2" }, null, "pve2")]
    [InlineData("pve2", new string[0], "pve3", "pve3")]
    [InlineData("other", new[] { "192.0.2.1" }, null, null)]
    [InlineData("pve2", new string[0], "pve9", "pve2")]
    [InlineData("other", new[] { "10.0.0.3" }, "other", "pve3")]
    public void The_local_node_is_found_by_name_then_by_address(string hostName, string[] addresses, string? configured, string? expected)
    {
        Assert.Equal(expected, LocalNode.Find(Cluster, Host(hostName, addresses), configured)?.Name);
    }

    [Fact]
    public void A_standalone_host_is_its_own_node()
    {
        Assert.Equal("pve", LocalNode.Find(ClusterMembership.Standalone("pve"), Host("something-else"))?.Name);
    }

    [Fact]
    public void The_real_host_identity_has_a_name_and_addresses()
    {
        var host = new SystemHostIdentity();

        Assert.Equal(Dns.GetHostName(), host.HostName);
        Assert.Contains(host.Addresses, IPAddress.IsLoopback);
    }

    [Fact]
    public async Task The_local_node_is_read_from_the_local_file_and_the_others_are_not()
    {
        var file = CpuInfoFile("amd-epyc-7301-zen1.txt");
        var source = new LocalFactsSource(file, PhysicalFileReader.Instance, Host("pve2"), Clock());

        var facts = await source.GetFactsAsync(Cluster, CancellationToken.None);

        var expected = CpuInfoParser.Parse(File.ReadAllText(file), file).GetValueOrThrow();
        Assert.Equal(FactsSource.Local, facts[1].Source);
        Assert.Equal(expected.ModelName, facts[1].Cpu!.ModelName);
        Assert.True(expected.Flags.SetEquals(facts[1].Cpu!.Flags));
        Assert.Equal(Noon, facts[1].CollectedAt);
        Assert.Equal("10.0.0.2", facts[1].Address);
        Assert.Null(facts[0].Cpu);
        Assert.Contains("reads only this host (pve2)", facts[0].Error);
    }

    [Fact]
    public async Task A_missing_local_file_makes_the_node_unreadable_with_the_path()
    {
        var source = new LocalFactsSource("/nonexistent/cpuinfo", PhysicalFileReader.Instance, Host("pve1"), Clock());

        var facts = await source.ReadAsync(Cluster.Nodes[0], CancellationToken.None);

        Assert.Equal("pve1: /nonexistent/cpuinfo does not exist", facts.Error);
        Assert.Equal(FactsSource.Local, facts.Source);
    }

    [Fact]
    public async Task An_oversized_local_file_is_refused()
    {
        var files = Substitute.For<IFileReader>();
        files.ReadTextAsync("/proc/cpuinfo", Core.Parsing.InputLimits.MaxCpuInfoBytes, Arg.Any<CancellationToken>())
            .Returns<string>(_ => throw new IOException("/proc/cpuinfo is larger than 16777216 bytes"));
        var source = new LocalFactsSource("/proc/cpuinfo", files, Host("pve1"), Clock());

        var facts = await source.ReadAsync(Cluster.Nodes[0], CancellationToken.None);

        Assert.Equal("pve1: /proc/cpuinfo cannot be read (/proc/cpuinfo is larger than 16777216 bytes)", facts.Error);
    }

    [Fact]
    public async Task The_physical_reader_enforces_its_limit_while_reading()
    {
        var file = CpuInfoFile("amd-epyc-7301-zen1.txt");

        await Assert.ThrowsAsync<IOException>(() => PhysicalFileReader.Instance.ReadTextAsync(file, 100, CancellationToken.None));
        Assert.Equal(File.ReadAllText(file), await PhysicalFileReader.Instance.ReadTextAsync(file, 1 << 24, CancellationToken.None));
    }

    [Fact]
    public async Task Auto_reads_the_local_node_locally_and_only_the_others_remotely()
    {
        var remote = Substitute.For<INodeFactsSource>();
        remote.GetFactsAsync(Arg.Any<ClusterMembership>(), Arg.Any<CancellationToken>()).Returns(call =>
            (IReadOnlyList<NodeFacts>)call.Arg<ClusterMembership>().Nodes.Select(n => NodeFacts.Unreadable(n.Name, "remote", FactsSource.Ssh)).Reverse().ToList());
        var local = new LocalFactsSource("/nonexistent/cpuinfo", PhysicalFileReader.Instance, Host("pve2"), Clock());

        var facts = await new LocalFirstFactsSource(local, remote).GetFactsAsync(Cluster, CancellationToken.None);

        Assert.Equal(["pve1", "pve2", "pve3"], facts.Select(f => f.Node));
        Assert.Equal([FactsSource.Ssh, FactsSource.Local, FactsSource.Ssh], facts.Select(f => f.Source));
        await remote.Received(1).GetFactsAsync(Arg.Is<ClusterMembership>(m => m.Nodes.Select(n => n.Name).SequenceEqual(new[] { "pve1", "pve3" })), Arg.Any<CancellationToken>());
    }
}
