using ProxClmc.Guard.Core.Catalog;

namespace ProxClmc.Guard.Core.Tests.Catalog;

public sealed class CpuCatalogTests
{
    private static readonly CpuCatalog Catalog = CpuCatalog.Default;

    private static readonly string[] Qemu64 =
        ["apic", "clflush", "cmov", "cx16", "cx8", "de", "fpu", "fxsr", "lahf_lm", "lm", "mmx", "msr", "nx", "pae", "pge", "pni", "pse", "pse36", "sep", "sse", "sse2", "syscall", "tsc"];

    // proxmox-facts.md: all qemu64 plus flags; kvm64 is QEMU's kvm64 (qemu64 + vme) plus +lahf_lm,+sep.
    private static readonly string[] V2 = [.. Qemu64, "popcnt", "sse4_1", "sse4_2", "ssse3"];
    private static readonly string[] V2Aes = [.. V2, "aes"];
    private static readonly string[] V3 = [.. V2Aes, "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"];
    private static readonly string[] V4 = [.. V3, "avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"];

    public static TheoryData<string, string[]> LevelFlags => new()
    {
        { "kvm64", [.. Qemu64, "vme"] },
        { "x86-64-v2", V2 },
        { "x86-64-v2-AES", V2Aes },
        { "x86-64-v3", V3 },
        { "x86-64-v4", V4 },
        { "qemu64", Qemu64 },
    };

    [Theory]
    [MemberData(nameof(LevelFlags))]
    public void Proxmox_level_models_require_exactly_the_documented_flags(string name, string[] flags)
    {
        Assert.True(Catalog.TryGetModel(name, out var model));
        Assert.Equal(flags.Order(StringComparer.Ordinal), model.RequiredFlags.Order(StringComparer.Ordinal));
        Assert.Null(model.Vendor);
        Assert.True(model.IsGeneric);
        Assert.Equal(name, CpuCatalog.LevelName(model.Level));
    }

    [Fact]
    public void Level_models_come_in_Proxmox_order_and_qemu64_is_the_fallback()
    {
        Assert.Equal(["kvm64", "x86-64-v2", "x86-64-v2-AES", "x86-64-v3", "x86-64-v4"], Catalog.LevelModels.Select(m => m.Name));
        Assert.All(Catalog.LevelModels, m => Assert.True(m.IsLevelModel));
        Assert.Equal("qemu64", Catalog.Qemu64.Name);
        Assert.False(Catalog.Qemu64.IsLevelModel);
        Assert.Equal("x86-64-v3", Catalog.ModelForLevel(CpuLevel.V3)!.Name);
        Assert.Equal("qemu64", Catalog.ModelForLevel(CpuLevel.Qemu64)!.Name);
        Assert.Null(Catalog.ModelForLevel(CpuLevel.None));
    }

    [Theory]
    [InlineData("x86-64-v1")]
    [InlineData("host")]
    [InlineData("max")]
    [InlineData("haswell")]
    [InlineData("")]
    public void Names_that_are_not_catalog_models_are_not_found(string name)
    {
        Assert.False(Catalog.TryGetModel(name, out var model));
        Assert.Null(model);
    }

    [Fact]
    public void No_model_and_no_level_is_called_x86_64_v1()
    {
        Assert.DoesNotContain(Catalog.Models, m => m.Name == "x86-64-v1");
        Assert.All(Enum.GetValues<CpuLevel>(), l => Assert.NotEqual("x86-64-v1", CpuCatalog.LevelName(l)));
    }

    [Theory]
    [InlineData("Icelake-Client", "Icelake-Server")]
    [InlineData("Icelake-Client-noTSX", "Icelake-Server-noTSX")]
    public void Icelake_Client_resolves_to_the_server_model_as_Proxmox_maps_it(string name, string expected)
    {
        Assert.True(Catalog.TryGetModel(name, out var model));
        Assert.Equal(expected, model.Name);
    }

    [Fact]
    public void Named_models_carry_their_vendor_and_aliases_name_their_versioned_model()
    {
        Assert.True(Catalog.TryGetModel("Haswell", out var haswell));
        Assert.Equal("GenuineIntel", haswell.Vendor);
        Assert.Equal("Haswell-v1", haswell.AliasOf);
        Assert.Contains("aes", haswell.RequiredFlags);
        Assert.Equal(CpuLevel.V3, haswell.Level);
        Assert.True(Catalog.TryGetModel("EPYC-Rome", out var rome));
        Assert.Equal("AuthenticAMD", rome.Vendor);
        Assert.True(Catalog.TryGetModel("Dhyana", out var dhyana));
        Assert.Equal("HygonGenuine", dhyana.Vendor);
    }

    [Fact]
    public void Models_newer_than_a_QEMU_version_say_which_versions_know_them()
    {
        Assert.True(Catalog.TryGetModel("EPYC-Turin", out var turin));
        Assert.Equal(["11.1.3"], turin.QemuVersions);
        Assert.True(Catalog.TryGetModel("Haswell", out var haswell));
        Assert.Equal(["10.0.13", "11.1.3", "7.2.22"], haswell.QemuVersions.Order(StringComparer.Ordinal));
        Assert.NotEmpty(turin.NotCheckable);
    }

    [Fact]
    public void QEMU_flag_names_map_to_cpuinfo_names()
    {
        var mdClear = Catalog.MapQemuFlag("md-clear");
        Assert.NotNull(mdClear);
        Assert.Equal(["md_clear"], mdClear.CpuinfoFlags);
        Assert.True(mdClear.Checkable);
        Assert.False(mdClear.ProvidedByKvm);

        var specCtrl = Catalog.MapQemuFlag("spec-ctrl");
        Assert.NotNull(specCtrl);
        Assert.Equal(["ibpb", "ibrs"], specCtrl.CpuinfoFlags.Order(StringComparer.Ordinal));

        Assert.Equal(["sse4_2"], Catalog.MapQemuFlag("sse4.2")!.CpuinfoFlags);
        Assert.Equal("sse4.2", Catalog.MapQemuFlag("sse4_2")!.CanonicalName);
        Assert.Equal(["pcid"], Catalog.MapQemuFlag("pcid")!.CpuinfoFlags);
        Assert.Equal(["pdpe1gb"], Catalog.MapQemuFlag("pdpe1gb")!.CpuinfoFlags);
    }

    [Fact]
    public void KVM_provided_and_uncheckable_features_say_so()
    {
        var x2apic = Catalog.MapQemuFlag("x2apic");
        Assert.NotNull(x2apic);
        Assert.True(x2apic.ProvidedByKvm);
        Assert.Empty(x2apic.CpuinfoFlags);

        var fbClear = Catalog.MapQemuFlag("fb-clear");
        Assert.NotNull(fbClear);
        Assert.False(fbClear.Checkable);
        Assert.Empty(fbClear.CpuinfoFlags);

        var rdctlNo = Catalog.MapQemuFlag("rdctl-no");
        Assert.NotNull(rdctlNo);
        Assert.Equal(["cpu_meltdown"], rdctlNo.BugsMustBeAbsent);
    }

    [Theory]
    [InlineData("no-such-flag")]
    [InlineData("")]
    [InlineData("MD-CLEAR")]
    public void Unknown_QEMU_flags_map_to_null(string name) => Assert.Null(Catalog.MapQemuFlag(name));

    [Fact]
    public void A_flag_Linux_6_1_does_not_know_cannot_be_proven_on_a_6_1_kernel()
    {
        var fred = Catalog.MapQemuFlag("fred");
        Assert.NotNull(fred);
        Assert.Equal(["fred"], fred.CpuinfoFlags);
        Assert.Empty(fred.CpuinfoFlagsLinux61);
    }
}
