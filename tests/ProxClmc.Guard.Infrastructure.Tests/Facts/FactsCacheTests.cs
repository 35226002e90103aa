using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Facts;
using NSubstitute;

namespace ProxClmc.Guard.Infrastructure.Tests.Facts;

public sealed class FactsCacheTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "proxclmc-cache-" + Guid.NewGuid().ToString("N")[..8]);

    public FactsCacheTests() => Directory.CreateDirectory(Path.Combine(_dir, "state"));

    private string CachePath => Path.Combine(_dir, "state", "facts.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CpuInfo Epyc() => new()
    {
        Architecture = "x86_64",
        VendorId = "AuthenticAMD",
        Family = 23,
        Model = 1,
        Stepping = 2,
        ModelName = "AMD EPYC 7301 16-Core Processor",
        Flags = new HashSet<string> { "sse4_2", "avx2", "aes", "pni" },
        Bugs = new HashSet<string> { "sysret_ss_attrs", "spectre_v1" },
        PhysicalAddressBits = 43,
        ProcessorCount = 64,
        FlagsNotOnAllProcessors = ["constant_tsc"],
    };

    private static void AssertSameCpu(CpuInfo expected, CpuInfo actual)
    {
        Assert.Equal(expected.Architecture, actual.Architecture);
        Assert.Equal(expected.VendorId, actual.VendorId);
        Assert.Equal((expected.Family, expected.Model, expected.Stepping), (actual.Family, actual.Model, actual.Stepping));
        Assert.Equal(expected.ModelName, actual.ModelName);
        Assert.True(expected.Flags.SetEquals(actual.Flags));
        Assert.True(expected.Bugs.SetEquals(actual.Bugs));
        Assert.Equal(expected.PhysicalAddressBits, actual.PhysicalAddressBits);
        Assert.Equal(expected.ProcessorCount, actual.ProcessorCount);
        Assert.Equal(expected.FlagsNotOnAllProcessors, actual.FlagsNotOnAllProcessors);
    }

    [Fact]
    public async Task Facts_survive_a_round_trip_through_the_file()
    {
        var cache = FactsCache.Load(CachePath);
        cache.Update([NodeFacts.Readable("pve1", Epyc(), FactsSource.Ssh, "10.0.0.1", Noon)]);
        await cache.SaveAsync();

        var loaded = FactsCache.Load(CachePath);

        Assert.Empty(loaded.Warnings);
        Assert.True(loaded.TryGet("pve1", null, Noon.AddDays(30), out var facts));
        Assert.Equal(FactsSource.Cache, facts.Source);
        Assert.Equal(FactsSource.Ssh, loaded.OriginalSource("pve1"));
        Assert.Equal("10.0.0.1", facts.Address);
        Assert.Equal(Noon, facts.CollectedAt);
        AssertSameCpu(Epyc(), facts.Cpu!);
    }

    [Fact]
    public async Task Unreadable_and_stale_facts_keep_the_last_known_entry()
    {
        var cache = FactsCache.Load(CachePath);
        cache.Update([NodeFacts.Readable("pve1", Epyc(), FactsSource.Local, "", Noon)]);
        cache.Update(
        [
            NodeFacts.Unreadable("pve1", "pve1 (10.0.0.1): connection refused on port 22", FactsSource.Ssh),
            NodeFacts.Readable("pve2", Epyc(), FactsSource.Cache, "", Noon) with { IsStale = true },
        ]);
        await cache.SaveAsync();

        var loaded = FactsCache.Load(CachePath);

        Assert.Equal(["pve1"], loaded.Nodes);
        Assert.Equal(FactsSource.Local, loaded.OriginalSource("pve1"));
    }

    [Theory]
    [InlineData(59, true)]
    [InlineData(60, true)]
    [InlineData(61, false)]
    public void Max_age_limits_what_is_offered(int secondsLater, bool offered)
    {
        var cache = FactsCache.Load(CachePath);
        cache.Update([NodeFacts.Readable("pve1", Epyc(), FactsSource.Ssh, "", Noon)]);

        Assert.Equal(offered, cache.TryGet("pve1", TimeSpan.FromSeconds(60), Noon.AddSeconds(secondsLater), out _));
        Assert.False(cache.TryGet("pve2", null, Noon, out _));
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("{\"schemaVersion\": 99, \"nodes\": {}}")]
    [InlineData("{\"schemaVersion\": 1, \"nodes\": {\"pve1\": {\"source\": \"ssh\", \"collectedAt\": \"yesterday\"}}}")]
    public void A_corrupt_cache_is_ignored_with_a_warning(string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CachePath)!);
        File.WriteAllText(CachePath, content);

        var cache = FactsCache.Load(CachePath);

        Assert.Empty(cache.Nodes);
        Assert.Single(cache.Warnings);
        Assert.Contains(CachePath, cache.Warnings[0]);
    }

    [Fact]
    public void An_incomplete_entry_is_dropped_and_the_rest_kept()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CachePath)!);
        File.WriteAllText(CachePath, """
            {"schemaVersion": 1, "nodes": {
              "pve1": {"source": "ssh", "collectedAt": "2026-11-23T12:00:00+00:00", "cpu": {"architecture": "x86_64", "vendorId": "GenuineIntel", "modelName": "Xeon", "flags": ["sse2"]}},
              "pve2": {"source": "ssh", "collectedAt": "2026-11-23T12:00:00+00:00", "cpu": {"vendorId": "GenuineIntel"}},
              "pve3": {"source": "telepathy", "collectedAt": "2026-11-23T12:00:00+00:00", "cpu": {"architecture": "x86_64", "vendorId": "GenuineIntel", "modelName": "Xeon", "flags": ["sse2"]}}
            }}
            """);

        var cache = FactsCache.Load(CachePath);

        Assert.Equal(["pve1"], cache.Nodes);
        Assert.Equal(2, cache.Warnings.Count);
    }

    [Fact]
    public void A_missing_cache_is_empty_without_warning()
    {
        var cache = FactsCache.Load(CachePath);

        Assert.Empty(cache.Nodes);
        Assert.Empty(cache.Warnings);
    }

    [Fact]
    public async Task Saving_replaces_the_file_atomically_and_leaves_no_temporary_file()
    {
        var cache = FactsCache.Load(CachePath);
        cache.Update([NodeFacts.Readable("pve1", Epyc(), FactsSource.Ssh, "", Noon)]);
        await cache.SaveAsync();
        using var heldOpen = new FileStream(CachePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var before = new StreamReader(heldOpen).ReadToEnd();

        cache.Update([NodeFacts.Readable("pve2", Epyc(), FactsSource.Ssh, "", Noon)]);
        await cache.SaveAsync();

        // A reader that opened the old file still sees it whole: the new one was renamed over it, not rewritten in place.
        heldOpen.Position = 0;
        Assert.Equal(before, new StreamReader(heldOpen).ReadToEnd());
        Assert.DoesNotContain("pve2", before);
        Assert.Contains("\"pve2\"", File.ReadAllText(CachePath));
        Assert.Equal([Path.GetFileName(CachePath)], Directory.GetFiles(Path.GetDirectoryName(CachePath)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task The_caching_source_records_fresh_facts_and_offers_last_known_ones_as_stale()
    {
        var membership = new ClusterMembership("c", [new ClusterNode("pve1", 1, [new NodeLink(0, "10.0.0.1")]), new ClusterNode("pve2", 2, [new NodeLink(0, "10.0.0.2")])]);
        var inner = Substitute.For<INodeFactsSource>();
        inner.GetFactsAsync(membership, Arg.Any<CancellationToken>()).Returns(
            [NodeFacts.Readable("pve1", Epyc(), FactsSource.Ssh, "10.0.0.1", Noon), NodeFacts.Readable("pve2", Epyc(), FactsSource.Ssh, "10.0.0.2", Noon)],
            [NodeFacts.Readable("pve1", Epyc(), FactsSource.Ssh, "10.0.0.1", Noon.AddHours(1)), NodeFacts.Unreadable("pve2", "pve2 (10.0.0.2): connection refused on port 22", FactsSource.Ssh, "10.0.0.2")]);
        var time = Substitute.For<TimeProvider>();
        time.GetUtcNow().Returns(Noon.AddHours(1));

        Func<string, string?> identity = node => "ssh-host-key:" + node;
        var first = await new CachingFactsSource(inner, FactsCache.Load(CachePath), time, new CachingOptions { IdentityOf = identity }).GetFactsAsync(membership, CancellationToken.None);
        var second = await new CachingFactsSource(inner, FactsCache.Load(CachePath), time, new CachingOptions { OfferLastKnown = true, IdentityOf = identity })
            .GetFactsAsync(membership, CancellationToken.None);

        Assert.All(first, f => Assert.Equal(FactsSource.Ssh, f.Source));
        Assert.Equal(FactsSource.Ssh, second[0].Source);
        Assert.False(second[0].IsStale);
        Assert.Equal(FactsSource.Cache, second[1].Source);
        Assert.True(second[1].IsStale);
        Assert.Equal(Noon, second[1].CollectedAt);
        Assert.Equal(Noon.AddHours(1), FactsCache.Load(CachePath).TryGet("pve1", null, Noon, out var pve1) ? pve1.CollectedAt : null);
    }

    [Fact]
    public async Task Without_allow_partial_a_failed_node_keeps_its_error()
    {
        var membership = new ClusterMembership("c", [new ClusterNode("pve2", 2, [])]);
        var cache = FactsCache.Load(CachePath);
        cache.Update([NodeFacts.Readable("pve2", Epyc(), FactsSource.Ssh, "", Noon)]);
        var inner = Substitute.For<INodeFactsSource>();
        inner.GetFactsAsync(membership, Arg.Any<CancellationToken>()).Returns([NodeFacts.Unreadable("pve2", "down", FactsSource.Ssh)]);

        var facts = await new CachingFactsSource(inner, cache, TimeProvider.System).GetFactsAsync(membership, CancellationToken.None);
        var tooOld = await new CachingFactsSource(inner, cache, TimeProvider.System, new CachingOptions { OfferLastKnown = true, MaxAge = TimeSpan.FromHours(1) })
            .GetFactsAsync(membership, CancellationToken.None);

        Assert.Equal("down", facts[0].Error);
        Assert.Equal("down", tooOld[0].Error);
    }

    [Fact]
    public async Task A_missing_state_directory_is_not_created()
    {
        var path = Path.Combine(_dir, "no-such-state", "facts.json");
        var cache = FactsCache.Load(path);

        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => cache.SaveAsync());
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
    }
}
