using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Catalog;

/// <summary>
/// The catalog the tool runs with is C# code (CpuCatalog.Generated.cs) that tools/gen-catalog writes from the same rows
/// as the checked-in tables cpu-catalog.tsv and qemu-flag-map.tsv: these tests fail when the code and the tables drift
/// apart (an edited table without a regenerated file, or the other way round).
/// </summary>
public sealed class GeneratedCatalogTests
{
    private static readonly string CatalogDir = RepoPaths.Combine("src", "ProxClmc.Guard.Core", "Catalog");

    private static CpuCatalog FromTables() => CpuCatalog.Load(
        File.ReadAllText(Path.Combine(CatalogDir, CpuCatalog.CatalogTable)),
        File.ReadAllText(Path.Combine(CatalogDir, CpuCatalog.FlagMapTable)));

    [Fact]
    public void The_compiled_catalog_has_every_model_of_the_table_with_the_same_columns()
    {
        var tables = FromTables();
        Assert.Equal(tables.Models.Select(m => m.Name), CpuCatalog.Default.Models.Select(m => m.Name));
        foreach (var expected in tables.Models)
        {
            Assert.True(CpuCatalog.Default.TryGetModel(expected.Name, out var actual));
            Assert.Equal(expected.Name, actual.Name);
            Assert.Equal(expected.AliasOf, actual.AliasOf);
            Assert.Equal(expected.Vendor, actual.Vendor);
            Assert.Equal(expected.Level, actual.Level);
            Assert.Equal(expected.IsLevelModel, actual.IsLevelModel);
            Assert.Equal(expected.RequiredFlags, actual.RequiredFlags);
            Assert.Equal(expected.BugsMustBeAbsent, actual.BugsMustBeAbsent);
            Assert.Equal(expected.NotCheckable, actual.NotCheckable);
            Assert.Equal(expected.QemuVersions.Order(StringComparer.Ordinal), actual.QemuVersions.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void The_compiled_catalog_maps_every_QEMU_feature_name_as_the_table_does()
    {
        var tables = FromTables();
        Assert.Equal(
            tables.QemuFlags.Select(f => f.QemuName).Order(StringComparer.Ordinal),
            CpuCatalog.Default.QemuFlags.Select(f => f.QemuName).Order(StringComparer.Ordinal));
        foreach (var expected in tables.QemuFlags)
        {
            var actual = CpuCatalog.Default.MapQemuFlag(expected.QemuName);
            Assert.NotNull(actual);
            Assert.Equal(expected.CanonicalName, actual.CanonicalName);
            Assert.Equal(expected.CpuinfoFlags, actual.CpuinfoFlags);
            Assert.Equal(expected.CpuinfoFlagsLinux61, actual.CpuinfoFlagsLinux61);
            Assert.Equal(expected.Checkable, actual.Checkable);
            Assert.Equal(expected.ProvidedByKvm, actual.ProvidedByKvm);
            Assert.Equal(expected.BugsMustBeAbsent, actual.BugsMustBeAbsent);
            Assert.Equal(expected.Vendors, actual.Vendors);
        }
    }

    [Fact]
    public void The_compiled_flag_index_and_model_bits_are_the_ones_the_tables_give()
    {
        var tables = FromTables();
        var compiled = CpuCatalog.Default.FlagIndex;
        Assert.Equal(
            Enumerable.Range(0, tables.FlagIndex.Count).Select(i => tables.FlagIndex[i]),
            Enumerable.Range(0, compiled.Count).Select(i => compiled[i]));
        foreach (var model in CpuCatalog.Default.Models)
        {
            Assert.True(tables.TryGetModel(model.Name, out var expected));
            var bits = ((NameSet)model.RequiredFlags).Binding!.Bits;
            Assert.Same(compiled, bits.Index);
            // A name set enumerates its array as it is: the generated lists must come sorted and distinct.
            var listed = model.RequiredFlags.ToList();
            Assert.Equal(listed.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal), listed);
            Assert.Equal(listed, bits.Names());
            Assert.Equal(((NameSet)expected.RequiredFlags).Binding!.Bits.Names(), bits.Names());
        }
    }

    [Fact]
    public void A_name_set_answers_membership_like_a_hash_set_for_sorted_and_unsorted_input()
    {
        var set = new NameSet(["sse2", "avx", "sse2", "aes"]);
        Assert.Equal(["aes", "avx", "sse2"], set);
        Assert.True(set.Contains("avx"));
        Assert.False(set.Contains("avx2"));
        Assert.False(set.Contains(""));
        Assert.True(set.IsSubsetOf(["aes", "avx", "sse2", "x"]));
        Assert.False(set.IsSupersetOf(["aes", "x"]));
        Assert.True(set.Overlaps(["x", "aes"]));
        Assert.True(set.SetEquals(["sse2", "aes", "avx"]));
        Assert.Empty(new NameSet([]));

        // Every copy is the guest's own: changing one leaves the set and the next copy as they were.
        var first = NameSet.MutableCopy(set);
        first.Add("x");
        first.Remove("aes");
        Assert.Equal(["aes", "avx", "sse2"], NameSet.MutableCopy(set).Order(StringComparer.Ordinal));
        Assert.Equal(3, set.Count);
        Assert.True(NameSet.MutableCopy(new HashSet<string> { "a" }).SetEquals(["a"]));
    }
}
