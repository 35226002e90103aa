using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Guests;

public sealed class CustomCpuModelsTests
{
    private static string CorpusFile(string name) => File.ReadAllText(Path.Combine(GuestCorpus.QemuServer, "cpu-models", name));

    [Fact]
    public void Pve_docs_example_reads_every_setting()
    {
        var models = CustomCpuModels.Parse(CorpusFile("pve-docs-example-cpu-models.conf"), "cpu-models.conf").GetValueOrThrow();

        var avx = Assert.Single(models.Models);
        Assert.Equal("avx", avx.Name);
        Assert.Equal([new GuestCpuFlag(true, "avx"), new GuestCpuFlag(true, "avx2")], avx.Flags);
        Assert.Equal("host", avx.PhysBits);
        Assert.False(avx.Hidden);
        Assert.Equal("proxmox", avx.HvVendorId);
        Assert.Equal("kvm64", avx.ReportedModel);
        Assert.Null(avx.Level);
        Assert.Null(avx.GuestPhysBits);
    }

    [Fact]
    public void Qemu_server_test_models_with_comments_and_an_all_default_model()
    {
        var models = CustomCpuModels.Parse(CorpusFile("qemu-server-test-mock-cpu-models.conf")).GetValueOrThrow();

        Assert.Equal(["qemu64", "alldefault"], models.Models.Select(m => m.Name));
        Assert.True(models.TryGet("qemu64", out var qemu64));
        Assert.Equal("athlon", qemu64.ReportedModel);
        Assert.Equal([new GuestCpuFlag(true, "aes"), new GuestCpuFlag(true, "avx"), new GuestCpuFlag(false, "kvm_pv_unhalt")], qemu64.Flags);
        Assert.Equal("testvend", qemu64.HvVendorId);
        Assert.Equal("40", qemu64.PhysBits);
        Assert.Null(qemu64.Hidden);

        Assert.True(models.TryGet("alldefault", out var alldefault));
        Assert.Equal(new CustomCpuModel { Name = "alldefault" }, alldefault with { Flags = [] });
        Assert.Equal("kvm64", alldefault.ReportedModel);
        Assert.Empty(alldefault.Flags);
        Assert.False(models.TryGet("custom-qemu64", out _));
    }

    [Fact]
    public void Level_guest_phys_bits_tabs_crlf_and_indented_comments()
    {
        const string text = "# cluster models\r\ncpu-model: lab-cpu\r\n\treported-model Skylake-Client\r\n  # why: old nodes\r\n\tlevel 30\r\n\tguest-phys-bits 40\r\n\thidden 1\r\n";
        var model = Assert.Single(CustomCpuModels.Parse(text).GetValueOrThrow().Models);
        Assert.Equal("Skylake-Client", model.ReportedModel);
        Assert.Equal(30u, model.Level);
        Assert.Equal(40, model.GuestPhysBits);
        Assert.True(model.Hidden);
    }

    [Fact]
    public void Empty_file_has_no_models() => Assert.Empty(CustomCpuModels.Parse("").GetValueOrThrow().Models);

    [Theory]
    [InlineData("cpu-model: a1\n    phys-bits 7\n", 2, 15, "phys-bits")]
    [InlineData("cpu-model: a1\n    flags avx\n", 2, 11, "flags: flag 'avx' needs a '+' or '-'")]
    [InlineData("cpu-model: a1\n    hidden perhaps\n", 2, 12, "hidden")]
    [InlineData("cpu-model: a1\n    level x\n", 2, 11, "level")]
    [InlineData("cpu-model: a1\n    guest-phys-bits 99\n", 2, 21, "guest-phys-bits")]
    [InlineData("cpu-model: a1\n    hv-vendor-id way-too-long-id\n", 2, 18, "hv-vendor-id")]
    [InlineData("cpu-model: a1\n    colour blue\n", 2, 5, "unknown property 'colour'")]
    [InlineData("cpu-model: a1\n    flags\n", 2, 5, "'flags' has no value")]
    [InlineData("cpu-model: a1\n    level 1\n    level 2\n", 3, 5, "'level' is given twice")]
    [InlineData("cpu-model: a1\n\ncpu-model: a1\n", 3, 12, "defined twice (first at line 1)")]
    [InlineData("cpu-model: a1\ncpu-model: b1\n", 2, 1, "separated from the previous one by a blank line")]
    [InlineData("    flags +avx\n", 1, 1, "outside any 'cpu-model:' section")]
    [InlineData("model: a1\n", 1, 1, "unknown section type 'model'")]
    [InlineData("cpu-model a1\n", 1, 1, "expected a section header")]
    [InlineData("cpu-model: 1a\n", 1, 12, "not a valid model name")]
    [InlineData("cpu-model: a1\n    cputype custom-a1\n", 2, 5, "given by the section header")]
    public void Bad_lines_fail_with_line_and_column(string text, int line, int column, string message)
    {
        var result = CustomCpuModels.Parse(text, "/etc/pve/virtual-guest/cpu-models.conf");
        Assert.False(result.IsSuccess);
        Assert.Equal("/etc/pve/virtual-guest/cpu-models.conf", result.Error!.Source);
        Assert.Contains(message, result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(line, result.Error.Line);
        Assert.Equal(column, result.Error.Column);
    }

    [Fact]
    public void Fuzzed_input_gives_a_value_or_a_typed_error()
    {
        var seeds = Directory.GetFiles(Path.Combine(GuestCorpus.QemuServer, "cpu-models")).Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        foreach (var input in Fuzz.Inputs(seeds, Fuzz.Cases()))
        {
            var result = CustomCpuModels.Parse(input, "fuzz");
            if (result.IsSuccess)
            {
                Assert.All(result.Value!.Models, m => Assert.False(string.IsNullOrWhiteSpace(m.Name)));
            }
            else
            {
                Assert.Equal("fuzz", result.Error!.Source);
                Assert.True(result.Error.Line >= 1);
            }
        }
    }
}
