using System.Text;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Parsing;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Cpu;

public sealed class CpuInfoParserTests
{
    internal static string Corpus(string file) => File.ReadAllText(Path.Combine(RepoPaths.Corpus, "cpuinfo", file));

    [Fact]
    public void A_Haswell_Xeon_reads_with_every_field()
    {
        var result = CpuInfoParser.Parse(Corpus("intel-xeon-e5-2680v3-haswell.txt"), "node1:/proc/cpuinfo");

        Assert.True(result.IsSuccess, result.Error?.ToString());
        var cpu = result.Value;
        Assert.Equal("x86_64", cpu.Architecture);
        Assert.False(cpu.Is32BitKernel);
        Assert.Equal("GenuineIntel", cpu.VendorId);
        Assert.Equal(6, cpu.Family);
        Assert.Equal(63, cpu.Model);
        Assert.Equal(2, cpu.Stepping);
        Assert.Equal("Intel(R) Xeon(R) CPU E5-2680 v3 @ 2.50GHz", cpu.ModelName);
        Assert.Contains("avx2", cpu.Flags);
        Assert.Contains("aes", cpu.Flags);
        Assert.Equal(46, cpu.PhysicalAddressBits);
        Assert.Equal(1, cpu.ProcessorCount);
        Assert.Empty(cpu.FlagsNotOnAllProcessors);
        Assert.Empty(cpu.Warnings);
    }

    [Fact]
    public void The_bugs_line_is_read()
    {
        var cpu = CpuInfoParser.Parse(Corpus("intel-core-i7-8650u-kabylake-r.txt")).GetValueOrThrow();
        Assert.Contains("cpu_meltdown", cpu.Bugs);
        Assert.Contains("spectre_v2", cpu.Bugs);
    }

    [Theory]
    [InlineData("NONX86-aarch64-graviton2-neoverse-n1.txt", "aarch64")]
    [InlineData("NONX86-aarch64-neoverse-v2.txt", "aarch64")]
    [InlineData("NONX86-aarch64-odroid-c2-cortex-a53.txt", "aarch64")]
    [InlineData("NONX86-ppc64le-power9.txt", "ppc64le")]
    [InlineData("NONX86-s390x-lpar.txt", "s390x")]
    public void Other_architectures_are_refused_with_the_line_that_shows_them(string file, string arch)
    {
        var result = CpuInfoParser.Parse(Corpus(file), file);

        Assert.False(result.IsSuccess);
        Assert.Equal($"unsupported architecture: {arch} (ProxClmc.Guard judges x86-64 nodes only)", result.Error.Message);
        Assert.Equal(file, result.Error.Source);
        Assert.True(result.Error.Line > 0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\n\t\r\n")]
    public void Empty_input_is_a_typed_error(string text)
    {
        var result = CpuInfoParser.Parse(text, "n1");
        Assert.False(result.IsSuccess);
        Assert.Equal("n1: empty input: no processor block (is this /proc/cpuinfo?)", result.Error.ToString());
    }

    [Fact]
    public void Binary_data_is_a_typed_error_with_line_and_column()
    {
        var text = "processor\t: 0\nvendor_id\t: Genuine\0Intel\n";
        var error = CpuInfoParser.Parse(text, "f").Error;
        Assert.NotNull(error);
        Assert.Equal(2, error.Line);
        Assert.Equal(20, error.Column);
        Assert.Contains("binary data", error.Message);
    }

    [Fact]
    public void Input_over_the_limit_is_refused_without_parsing()
    {
        var text = new string('x', InputLimits.MaxCpuInfoBytes + 1);
        var error = CpuInfoParser.Parse(text, "big").Error;
        Assert.NotNull(error);
        Assert.Equal(0, error.Line);
        Assert.Contains("larger than 16 MiB", error.Message);
    }

    [Fact]
    public void Text_that_is_not_cpuinfo_is_a_typed_error()
    {
        var error = CpuInfoParser.Parse("hello world\n", "x").Error;
        Assert.NotNull(error);
        Assert.Equal(1, error.Line);
        Assert.Equal("expected 'name : value'", error.Message);

        error = CpuInfoParser.Parse("MemTotal: 1024 kB\nMemFree: 12 kB\n", "meminfo").Error;
        Assert.NotNull(error);
        Assert.Contains("not an x86 /proc/cpuinfo", error.Message);
    }

    [Fact]
    public void A_bad_number_points_at_its_value()
    {
        var text = Corpus("intel-xeon-e5-2680v3-haswell.txt").Replace("cpu family\t: 6", "cpu family\t: six", StringComparison.Ordinal);
        var error = CpuInfoParser.Parse(text, "f").Error;
        Assert.NotNull(error);
        Assert.Equal(3, error.Line);
        Assert.Equal(14, error.Column);
        Assert.Equal("'cpu family' is not a number: 'six'", error.Message);
    }

    [Fact]
    public void Many_processors_intersect_their_flags_and_list_the_rest()
    {
        var one = Corpus("intel-xeon-e5-2680v3-haswell.txt").TrimEnd('\n') + "\n\n";
        var sb = new StringBuilder();
        for (var i = 0; i < 48; i++)
        {
            var block = one.Replace("processor\t: 0", $"processor\t: {i}", StringComparison.Ordinal);
            if (i == 47)
            {
                // A hypervisor that masks one vCPU differently.
                block = block.Replace(" avx2 ", " ", StringComparison.Ordinal).Replace(" lm ", " lm extra_flag ", StringComparison.Ordinal);
            }

            sb.Append(block);
        }

        var cpu = CpuInfoParser.Parse(sb.ToString()).GetValueOrThrow();
        Assert.Equal(48, cpu.ProcessorCount);
        Assert.DoesNotContain("avx2", cpu.Flags);
        Assert.DoesNotContain("extra_flag", cpu.Flags);
        Assert.Equal(["avx2", "extra_flag"], cpu.FlagsNotOnAllProcessors);
        Assert.Contains("avx", cpu.Flags);
    }

    [Fact]
    public void Hybrid_P_and_E_cores_both_count()
    {
        var cpu = CpuInfoParser.Parse(Corpus("intel-core-i7-1370p-raptorlake-hybrid.txt")).GetValueOrThrow();
        Assert.Equal("GenuineIntel", cpu.VendorId);
        Assert.Contains("avx2", cpu.Flags);
    }

    [Theory]
    [InlineData("intel-xeon-5130-woodcrest-i386kernel.txt")] // fdiv_bug lines, lm without syscall
    [InlineData("intel-xeon-netburst-3.00ghz-i386kernel.txt")]
    [InlineData("intel-atom-z3745-silvermont-android-i386kernel.txt")]
    [InlineData("spreadtrum-sc9853i-ia-airmont-android-i386kernel.txt")] // no fdiv_bug lines: lm without syscall
    [InlineData("intel-core2duo-p8700-penryn-i386kernel.txt")]
    [InlineData("intel-atom-z2560-saltwell-android-32bitcpu.txt")] // no lm at all
    public void A_32_bit_kernel_is_recognised(string file)
    {
        var cpu = CpuInfoParser.Parse(Corpus(file)).GetValueOrThrow();
        Assert.Equal("i686", cpu.Architecture);
        Assert.True(cpu.Is32BitKernel);
    }

    [Theory]
    [InlineData("intel-core2duo-t8300-penryn-TRUNCATED.txt", "GenuineIntel")]
    [InlineData("hygon-c86-4g-dhyana-TRUNCATED.txt", "HygonGenuine")]
    public void A_cut_off_file_is_read_as_far_as_it_goes_and_says_so(string file, string vendor)
    {
        var cpu = CpuInfoParser.Parse(Corpus(file)).GetValueOrThrow();
        Assert.Equal(vendor, cpu.VendorId);
        Assert.Contains(cpu.Warnings, w => w.Contains("cut off", StringComparison.Ordinal));
    }

    [Fact]
    public void A_file_cut_before_the_first_flags_line_fails_at_its_end()
    {
        var text = Corpus("intel-xeon-e5-2680v3-haswell.txt");
        text = text[..text.IndexOf("flags", StringComparison.Ordinal)];
        var error = CpuInfoParser.Parse(text, "f").Error;
        Assert.NotNull(error);
        Assert.Contains("has no 'flags' line: the file looks cut off", error.Message);
        Assert.True(error.Line > 1);
    }

    [Fact]
    public void A_last_block_cut_short_is_left_out_rather_than_trusted()
    {
        var one = Corpus("intel-xeon-e5-2680v3-haswell.txt").TrimEnd('\n') + "\n\n";
        var cut = one.Replace("processor\t: 0", "processor\t: 1", StringComparison.Ordinal);
        cut = cut[..(cut.IndexOf("flags", StringComparison.Ordinal) + 30)];
        var cpu = CpuInfoParser.Parse(one + cut).GetValueOrThrow();
        Assert.Equal(1, cpu.ProcessorCount);
        Assert.Contains("avx2", cpu.Flags);
        Assert.Single(cpu.Warnings);
    }

    [Fact]
    public void Windows_line_endings_are_accepted()
    {
        var cpu = CpuInfoParser.Parse(Corpus("amd-epyc-7301-zen1.txt").ReplaceLineEndings("\r\n")).GetValueOrThrow();
        Assert.Equal("AuthenticAMD", cpu.VendorId);
        Assert.Contains("sse4_2", cpu.Flags);
        Assert.DoesNotContain(cpu.Flags, f => f.Contains('\r', StringComparison.Ordinal));
    }

    [Fact]
    public void A_byte_order_mark_is_ignored()
    {
        var cpu = CpuInfoParser.Parse("\uFEFF" + Corpus("amd-epyc-7301-zen1.txt")).GetValueOrThrow();
        Assert.Equal(1, cpu.ProcessorCount);
        Assert.Equal("AuthenticAMD", cpu.VendorId);
    }

    [Theory]
    [InlineData("Intel(R) Xeon(R) Gold 6132 CPU @ 2.60GHz", "GenuineIntel")]
    [InlineData("AMD EPYC 7451 24-Core Processor", "AuthenticAMD")]
    [InlineData("Hygon C86 7185 32-core Processor", "HygonGenuine")]
    [InlineData("QEMU Virtual CPU version 2.5+", "")]
    public void API_facts_infer_the_vendor_from_the_model_name(string model, string vendor)
    {
        var cpu = CpuInfoParser.FromApi(model, "fpu vme de pse lm syscall sse4_2", "pve1 (API)").GetValueOrThrow();
        Assert.Equal(vendor, cpu.VendorId);
        Assert.Equal(model, cpu.ModelName);
        Assert.Equal("x86_64", cpu.Architecture);
        Assert.Null(cpu.Family);
        Assert.Null(cpu.Model);
        Assert.Contains("sse4_2", cpu.Flags);
        Assert.Equal(7, cpu.Flags.Count);
    }

    [Fact]
    public void API_facts_without_flags_are_a_typed_error()
    {
        var error = CpuInfoParser.FromApi("Intel(R) Xeon(R)", "  ", "pve1 (API)").Error;
        Assert.NotNull(error);
        Assert.Equal("pve1 (API)", error.Source);
        Assert.Contains("cpuinfo.flags", error.Message);
    }
}
