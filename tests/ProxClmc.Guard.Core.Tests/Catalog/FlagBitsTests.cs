using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Facts;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Core.Tests.Facts;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Catalog;

/// <summary>
/// Flag sets as bits over the catalog's flag index: the answers must be the ones a per-name lookup gives, in the
/// same (ordinal) order, for sets spanning several 64-bit words, empty sets and names the index does not number.
/// </summary>
public sealed class FlagBitsTests
{
    /// <summary>150 names, numbered over three words; "f000" ... "f149" sort ordinally as numbered.</summary>
    private static readonly string[] Many = Enumerable.Range(0, 150).Select(i => $"f{i:000}").ToArray();

    [Fact]
    public void The_index_numbers_names_in_ordinal_order_once_each()
    {
        var index = new FlagIndex(["sse2", "avx", "sse2", "AES", "aes"]);

        Assert.Equal(4, index.Count);
        Assert.Equal(["AES", "aes", "avx", "sse2"], Enumerable.Range(0, index.Count).Select(i => index[i]));
        Assert.True(index.TryGetPosition("avx", out var avx));
        Assert.Equal(2, avx);
        Assert.False(index.TryGetPosition("avx2", out _));
        Assert.False(index.TryGetPosition("", out _));
    }

    [Fact]
    public void Sets_over_more_than_64_flags_answer_like_name_lookups_across_words()
    {
        var index = new FlagIndex(Many.Reverse());
        var evens = index.Of(Many.Where((_, i) => i % 2 == 0));
        var all = index.Of(Many);
        var high = index.Of(["f063", "f064", "f127", "f128", "f149"]);

        Assert.Equal(150, all.Count);
        Assert.Equal(75, evens.Count);
        Assert.Equal(5, high.Count);
        Assert.True(high.Contains("f149"));
        Assert.True(high.Contains("f064"));
        Assert.False(high.Contains("f065"));
        Assert.False(high.Contains(150));
        Assert.False(high.Contains(-1));
        Assert.True(evens.IsSubsetOf(all));
        Assert.False(all.IsSubsetOf(evens));
        Assert.False(high.IsSubsetOf(evens));

        // Which flags a node lacks: the names, in ordinal order, across the word boundaries 63|64 and 127|128.
        var missing = new List<string>();
        high.AddMissingFrom(evens, missing);
        Assert.Equal(["f063", "f127", "f149"], missing);
        Assert.Equal(missing, high.Except(evens).Names());
        Assert.Equal(["f064", "f128"], high.Intersect(evens).Names());
        Assert.Equal(Many, all.Names());
    }

    [Fact]
    public void Empty_sets_and_an_empty_index_have_nothing_missing()
    {
        var index = new FlagIndex(Many);
        var empty = index.Of([]);
        var some = index.Of(["f001", "f100"]);

        Assert.True(empty.IsEmpty);
        Assert.Equal(0, empty.Count);
        Assert.Empty(empty.Names());
        Assert.True(empty.IsSubsetOf(some));
        Assert.False(some.IsSubsetOf(empty));
        var missing = new List<string>();
        empty.AddMissingFrom(some, missing);
        Assert.Empty(missing);
        some.AddMissingFrom(empty, missing);
        Assert.Equal(["f001", "f100"], missing);

        var none = new FlagIndex([]);
        var nothing = none.Of(["avx"]);
        Assert.Equal(0, none.Count);
        Assert.True(nothing.IsEmpty);
        Assert.True(nothing.IsSubsetOf(none.Of([])));
        Assert.False(nothing.Contains("avx"));
    }

    [Fact]
    public void Names_the_index_does_not_number_are_kept_aside_not_lost()
    {
        var index = new FlagIndex(["aes", "avx", "sse2"]);
        var aside = new List<string>();

        var bits = index.Of(["avx", "made_up", "sse2", "x86-64-v9"], aside);

        Assert.Equal(["avx", "sse2"], bits.Names());
        Assert.Equal(["made_up", "x86-64-v9"], aside);

        // A null name (a hostile facts file can carry one) is numbered by no index and kept aside like any other.
        aside.Clear();
        Assert.Equal(["aes"], index.Of(["aes", null!], aside).Names());
        Assert.Equal([null!], aside);
        Assert.False(index.TryGetPosition(null!, out _));
        Assert.False(index.Of(["aes"]).Contains(null!));

        // A name set numbered by the index keeps them too, and still answers for every name it holds.
        var set = NameSet.Indexed(["x86-64-v9", "avx", "made_up"], index);
        Assert.Equal(["avx", "made_up", "x86-64-v9"], set);
        Assert.True(set.Contains("made_up"));
        Assert.True(set.Contains("avx"));
        Assert.False(set.Contains("aes"));
        Assert.False(set.Contains("zzz"));
        Assert.False(set.Contains(null!));
        Assert.Equal(["avx"], set.Binding!.Bits.Names());
        Assert.Equal(["made_up", "x86-64-v9"], set.Binding.Unindexed);
    }

    [Fact]
    public void Sets_of_two_indexes_are_not_compared()
    {
        var a = new FlagIndex(["aes"]).Of(["aes"]);
        var b = new FlagIndex(["aes"]).Of(["aes"]);

        Assert.Throws<ArgumentException>(() => a.IsSubsetOf(b));
        Assert.Throws<ArgumentException>(() => a.AddMissingFrom(b, []));
    }

    [Fact]
    public void The_catalog_numbers_every_model_flag_and_every_mapped_flag()
    {
        var catalog = CpuCatalog.Default;
        foreach (var model in catalog.Models)
        {
            var binding = Assert.IsType<NameSet>(model.RequiredFlags).Binding;
            Assert.NotNull(binding);
            Assert.Same(catalog.FlagIndex, binding.Bits.Index);
            Assert.Empty(binding.Unindexed);
            Assert.Equal(model.RequiredFlags.Order(StringComparer.Ordinal), binding.Bits.Names());
        }

        foreach (var flag in catalog.QemuFlags.SelectMany(f => f.CpuinfoFlags.Concat(f.CpuinfoFlagsLinux61)))
        {
            Assert.True(catalog.FlagIndex.TryGetPosition(flag, out _), flag);
        }
    }

    /// <summary>
    /// Every catalog model against every x86 CPU of the corpus, with and without a KVM flag list that masks flags:
    /// the check through bits gives the same state and the same missing flags, in the same order, as the check name
    /// by name (a requirement whose flags are a plain hash set takes that path).
    /// </summary>
    [Fact]
    public void Judging_by_bits_matches_judging_name_by_name_for_every_model_and_corpus_cpu()
    {
        var catalog = CpuCatalog.Default;
        var dir = Path.Combine(RepoPaths.Corpus, "cpuinfo");
        var files = Directory.EnumerateFiles(dir, "*.txt").Where(f => !Path.GetFileName(f).StartsWith("NONX86", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.True(files.Count > 20);
        var masked = 0;
        foreach (var file in files)
        {
            var parsed = CpuInfoParser.Parse(File.ReadAllText(file), file);
            if (!parsed.IsSuccess)
            {
                continue;
            }

            var plain = NodeFacts.Readable("n", parsed.Value, FactsSource.Snapshot);
            var recorded = QmpAnswerParserTests.RecordedAnswer().HostFeatures.Select(QemuCpuAnswer.Canonical).ToHashSet(StringComparer.Ordinal);
            var entries = catalog.QemuFlags.Select(f => f.CanonicalName).Distinct(StringComparer.Ordinal)
                .Select(name => new KvmFlagEntry(name, recorded.Contains(QemuCpuAnswer.Canonical(name)) ? ["n"] : []))
                .ToList();
            var withList = plain with { KvmFlags = KvmFlagList.ForNode("n", entries, plain.Cpu!.Flags, catalog.QemuFlags, "test") };
            masked += withList.KvmFlags?.MaskedCpuinfoFlags.Count ?? 0;
            foreach (var facts in new[] { plain, withList })
            {
                var node = NodeCapability.Compute(facts, catalog);
                foreach (var model in catalog.Models)
                {
                    var byBits = node.Check(CpuRequirement.FromModel(model));
                    var byName = node.Check(CpuRequirement.FromModel(model) with { Flags = model.RequiredFlags.ToHashSet(StringComparer.Ordinal), Model = null });
                    Assert.Equal(byName.State, byBits.State);
                    Assert.Equal(byName.MissingFlags, byBits.MissingFlags);
                    Assert.Equal(byName.Unverified, byBits.Unverified);

                    var extended = NameSet.Indexed([.. model.RequiredFlags, "not_a_flag"], catalog.FlagIndex);
                    var extendedByBits = node.Check(new CpuRequirement { Description = "x", Flags = extended });
                    var extendedByName = node.Check(new CpuRequirement { Description = "x", Flags = extended.ToHashSet(StringComparer.Ordinal) });
                    Assert.Equal(extendedByName.MissingFlags, extendedByBits.MissingFlags);
                    Assert.Contains("not_a_flag", extendedByBits.MissingFlags);
                }
            }
        }

        // The KVM flag list did mask flags somewhere, so the masked path was compared too.
        Assert.True(masked > 0);
    }
}
