using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Parsing;
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
        Assert.Equal(new CustomCpuModel { Name = "alldefault", Line = alldefault.Line }, alldefault with { Flags = [], IgnoredLines = [] });
        Assert.Empty(alldefault.IgnoredLines);
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

    // Proxmox's SectionConfig warns about a line it cannot use and ignores only that line. "ignored": the model
    // stays usable and lists the line; "broken": the line changes what the model asks of a host, so guests using
    // the model cannot be judged from it; "file": outside any model, no guest is affected.
    [Theory]
    [InlineData("cpu-model: a1\n    phys-bits 7\n", "ignored", 2, 15, "phys-bits")]
    [InlineData("cpu-model: a1\n    flags avx\n", "broken", 2, 11, "flags: flag 'avx' needs a '+' or '-'")]
    [InlineData("cpu-model: a1\n    hidden perhaps\n", "ignored", 2, 12, "hidden")]
    [InlineData("cpu-model: a1\n    level x\n", "ignored", 2, 11, "level")]
    [InlineData("cpu-model: a1\n    level 4294967296\n", "ignored", 2, 11, "between 0 and 4294967295")]
    [InlineData("cpu-model: a1\n    guest-phys-bits 99\n", "ignored", 2, 21, "guest-phys-bits")]
    [InlineData("cpu-model: a1\n    hv-vendor-id way-too-long-id\n", "ignored", 2, 18, "hv-vendor-id")]
    [InlineData("cpu-model: a1\n    colour blue\n", "ignored", 2, 5, "unknown property 'colour'")]
    [InlineData("cpu-model: a1\n    flags\n", "broken", 2, 5, "'flags' has no value")]
    [InlineData("cpu-model: a1\n    level 1\n    level 2\n", "ignored", 3, 5, "'level' is given twice")]
    [InlineData("cpu-model: a1\n\ncpu-model: a1\n", "broken", 3, 1, "defined twice (lines 1 and 3)")]
    [InlineData("cpu-model: a1\ncpu-model: b1\n", "ignored", 2, 1, "a new section needs a blank line before it")]
    [InlineData("cpu-model: a1\n    cputype custom-a1\n", "ignored", 2, 5, "unknown property 'cputype'")]
    [InlineData("    flags +avx\n", "file", 1, 1, "outside any 'cpu-model:' section")]
    [InlineData("model: a1\n", "file", 1, 1, "unknown section type 'model'")]
    [InlineData("cpu-model a1\n", "file", 1, 1, "expected a section header")]
    [InlineData("cpu-model: 1a\n", "file", 1, 12, "not a valid model name")]
    public void Bad_lines_are_ignored_as_Proxmox_does_and_named_with_line_and_column(string text, string where, int line, int column, string message)
    {
        const string path = "/etc/pve/virtual-guest/cpu-models.conf";
        var models = CustomCpuModels.Parse(text + "\ncpu-model: good\n    reported-model Haswell\n", path).GetValueOrThrow();

        var error = where switch
        {
            "ignored" => Assert.Single(models.Models.Single(m => m.Name == "a1").IgnoredLines),
            "broken" => models.Models.Single(m => m.Name == "a1").Error!,
            _ => Assert.Single(models.Warnings),
        };
        Assert.Equal(path, error.Source);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(line, error.Line);
        Assert.Equal(column, error.Column);
        Assert.True(models.TryGet("good", out var good), "a bad line elsewhere must not cost another model");
        Assert.Equal("Haswell", good.ReportedModel);
        Assert.Null(good.Error);
    }

    [Fact]
    public void An_unknown_property_leaves_the_rest_of_the_model_valid()
    {
        var models = CustomCpuModels.Parse("cpu-model: lab\n    frobnicate 1\n    flags +aes;+pcid\n    reported-model SandyBridge\n").GetValueOrThrow();

        var lab = Assert.Single(models.Models);
        Assert.Null(lab.Error);
        Assert.Equal("SandyBridge", lab.ReportedModel);
        Assert.Equal(2, lab.Flags.Count);
        Assert.Equal(2, Assert.Single(lab.IgnoredLines).Line);
    }

    [Fact]
    public void A_file_too_large_for_pmxcfs_gives_no_models_and_says_why()
    {
        var models = CustomCpuModels.Parse(new string('#', InputLimits.MaxPmxcfsFileBytes + 1), "cpu-models.conf").GetValueOrThrow();

        Assert.Empty(models.Models);
        Assert.Contains("larger than pmxcfs allows", models.FileError!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fuzzed_input_gives_a_value_or_a_typed_error()
    {
        var seeds = Directory.GetFiles(Path.Combine(GuestCorpus.QemuServer, "cpu-models")).Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        foreach (var input in Fuzz.InputsWithLongLines(seeds, Fuzz.Cases()))
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
