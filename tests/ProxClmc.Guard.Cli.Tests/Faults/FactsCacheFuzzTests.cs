using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Faults;

/// <summary>
/// The facts cache is a file the hook reads on every migration: a damaged one (a full disk, a hand edit, another
/// version's format) must be ignored with a warning, never crash the hook or turn into facts a node does not have.
/// </summary>
public sealed class FactsCacheFuzzTests
{
    [Fact]
    public async Task Fuzzed_cache_files_load_as_facts_or_are_ignored_with_a_warning()
    {
        using var tree = new TempTree();
        var seedPath = tree.PathOf("seed.json");
        var seed = FactsCache.Load(seedPath);
        seed.Update(new[] { "pve1", "pve2", "pve3", "pve4" }.Select(node =>
        {
            var path = Path.Combine(GuardRun.Lab, "nodes", node, "cpuinfo");
            var cpu = CpuInfoParser.Parse(File.ReadAllText(path), path).GetValueOrThrow();
            return NodeFacts.Readable(node, cpu, FactsSource.Ssh, "10.0.0.1", GuardRun.Now);
        }));
        await seed.SaveAsync();
        string[] seeds =
        [
            File.ReadAllText(seedPath),
            """{"schemaVersion":1,"nodes":{"pve1":{"source":"ssh","collectedAt":"2026-11-23T12:00:00Z","cpu":{"architecture":"x86_64","vendorId":"GenuineIntel","modelName":"x","flags":[null,"fpu"],"bugs":[null],"flagsNotOnAllProcessors":[null]}}}}""",
            """{"schemaVersion":1,"nodes":{"pve1":null,"..":{"source":"cache","collectedAt":"9999-12-31T23:59:59Z","cpu":{"architecture":"","vendorId":"","modelName":"","flags":[],"family":-1,"physicalAddressBits":2147483647,"processorCount":-5}}}}""",
        ];

        var path = tree.PathOf("cache.json");
        var cases = 0;
        var loaded = 0;
        var ignored = 0;
        foreach (var input in Fuzz.Inputs(seeds, Fuzz.Cases()))
        {
            // Mutations can split a surrogate pair; the file gets what a lenient writer would (U+FFFD).
            File.WriteAllBytes(path, new System.Text.UTF8Encoding(false, false).GetBytes(input));
            var cache = FactsCache.Load(path);
            foreach (var node in cache.Nodes)
            {
                Assert.True(cache.TryGet(node, null, GuardRun.Now, out var facts));
                Assert.NotNull(facts.Cpu);
                _ = NodeCapability.Compute(facts, CpuCatalog.Default);
            }

            Assert.All(cache.Warnings, w => Assert.DoesNotContain('\n', w));
            loaded += cache.Nodes.Count > 0 ? 1 : 0;
            ignored += cache.Warnings.Count > 0 ? 1 : 0;
            cases++;
        }

        Assert.Equal(Fuzz.Cases(), cases);
        Assert.True(loaded > 0 && ignored > 0, $"both outcomes were exercised ({loaded} loaded, {ignored} ignored)");
    }
}
