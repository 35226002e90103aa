using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Guests;

public sealed class GuestCpuTests
{
    /// <summary>Every cpu value of every section of every corpus VM config, read through VmConfig.</summary>
    private static List<(string File, string Section, string Value)> CorpusCpuValues()
    {
        var values = new List<(string, string, string)>();
        foreach (var file in GuestCorpus.VmConfigs)
        {
            var config = VmConfig.Parse(GuestCorpus.Read(file), file).GetValueOrThrow();
            IEnumerable<VmConfigSection> sections = [config.Main, .. config.Snapshots, .. config.Special];
            if (config.Pending is not null)
            {
                sections = sections.Append(config.Pending);
            }

            foreach (var section in sections)
            {
                foreach (var (key, value) in section.Entries)
                {
                    if (key == "cpu")
                    {
                        values.Add((file, section.Name, value));
                    }
                }
            }
        }

        return values;
    }

    /// <summary>Every <c>cpu:</c> line of every corpus VM config, raw, with the value as Proxmox's key regex takes it.</summary>
    private static List<(string File, int Line, string Value)> RawCpuLines()
    {
        var lines = new List<(string, int, string)>();
        foreach (var file in GuestCorpus.VmConfigs)
        {
            var text = GuestCorpus.Read(file).Split('\n');
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i].StartsWith("cpu:", StringComparison.Ordinal))
                {
                    lines.Add((file, i + 1, text[i][4..].Trim()));
                }
            }
        }

        return lines;
    }

    [Fact]
    public void Every_corpus_cpu_line_parses_and_formats_back_byte_for_byte()
    {
        var lines = RawCpuLines();

        // CPU-LINES.txt: 36 cpu lines in the qemu-server test configs and 13 in the real-world ones.
        Assert.Equal(49, lines.Count);
        Assert.Equal(36, lines.Count(v => !v.File.StartsWith("real-world/", StringComparison.Ordinal)));
        foreach (var (file, line, value) in lines)
        {
            var result = GuestCpu.Parse(value, file, line, 6);
            Assert.True(result.IsSuccess, result.Error?.ToString());
            Assert.Equal(value, result.Value!.Format());
            Assert.NotNull(result.Value.CpuType);
        }
    }

    [Fact]
    public void Cpu_values_of_every_section_read_through_VmConfig_round_trip()
    {
        var values = CorpusCpuValues();

        // One fewer than the raw lines: duplicate-sections.conf has [foo] twice and Proxmox keeps only the later.
        Assert.Equal(48, values.Count);
        Assert.Equal(16, values.Count(v => v.Section != ""));
        foreach (var (file, section, value) in values)
        {
            Assert.Equal(value, GuestCpu.Parse(value, $"{file} [{section}] cpu").GetValueOrThrow().Format());
        }
    }

    [Fact]
    public void All_keys_are_read()
    {
        var cpu = GuestCpu.Parse("cputype=custom-avx,flags=+md-clear;+pdpe1gb;-hv-tlbflush,hidden=yes,hv-vendor-id=proxmox,phys-bits=host,guest-phys-bits=39,level=30").GetValueOrThrow();

        Assert.Equal("custom-avx", cpu.CpuType);
        Assert.True(cpu.IsCustomModel);
        Assert.Equal([new GuestCpuFlag(true, "md-clear"), new GuestCpuFlag(true, "pdpe1gb"), new GuestCpuFlag(false, "hv-tlbflush")], cpu.Flags);
        Assert.True(cpu.Hidden);
        Assert.Equal("proxmox", cpu.HvVendorId);
        Assert.Equal("host", cpu.PhysBits);
        Assert.Equal(39, cpu.GuestPhysBits);
        Assert.Equal(30u, cpu.Level);
        Assert.Empty(cpu.UnknownOptions);
    }

    [Fact]
    public void A_value_without_a_model_means_kvm64()
    {
        var cpu = GuestCpu.Parse("flags=+aes").GetValueOrThrow();
        Assert.Null(cpu.CpuType);
        Assert.Equal("kvm64", cpu.EffectiveCpuType);
        Assert.Equal("flags=+aes", cpu.Format());
        Assert.Equal("x86-64-v2-AES,flags=+aes", cpu.WithCpuType("x86-64-v2-AES").Format());
    }

    [Fact]
    public void Changes_format_in_Proxmox_order_and_keep_unknown_keys()
    {
        var cpu = GuestCpu.Parse("host,level=30,zz-new=1,flags=+md-clear,a-new=x").GetValueOrThrow();
        Assert.Equal([new KeyValuePair<string, string>("zz-new", "1"), new KeyValuePair<string, string>("a-new", "x")], cpu.UnknownOptions);
        Assert.Equal("host,level=30,zz-new=1,flags=+md-clear,a-new=x", cpu.Format());

        Assert.Equal("x86-64-v3,a-new=x,flags=+md-clear,level=30,zz-new=1", (cpu with { CpuType = "x86-64-v3" }).Format());
        Assert.Equal("host,a-new=x,flags=+aes;-pcid,level=30,zz-new=1",
            cpu.WithFlags([new GuestCpuFlag(true, "aes"), new GuestCpuFlag(false, "pcid")]).Format());
        Assert.Equal("host,a-new=x,flags=+md-clear,level=30,phys-bits=40,zz-new=1", cpu.WithPhysBits("40").Format());
        Assert.Equal("host,a-new=x,level=30,zz-new=1", cpu.WithFlags([]).Format());
    }

    [Fact]
    public void Unchanged_values_keep_their_spelling_when_another_key_changes()
    {
        var cpu = GuestCpu.Parse("cputype=host,hidden=yes").GetValueOrThrow();
        Assert.Equal("cputype=host,hidden=yes", cpu.Format());
        Assert.Equal("host,flags=+pcid,hidden=yes", cpu.WithFlags([new GuestCpuFlag(true, "pcid")]).Format());
        Assert.Equal("host,hidden=0", (cpu with { Hidden = false }).Format());
    }

    [Fact]
    public void Built_values_format_canonically_and_compare_by_settings()
    {
        var built = new GuestCpu { CpuType = "host", Hidden = true, Flags = [new GuestCpuFlag(true, "pcid")] };
        Assert.Equal("host,flags=+pcid,hidden=1", built.Format());
        Assert.Equal(GuestCpu.Parse("host,hidden=1,flags=+pcid").GetValueOrThrow(), built);
        Assert.Equal(GuestCpu.Parse("cputype=host").GetValueOrThrow(), GuestCpu.Parse("host").GetValueOrThrow());
        Assert.NotEqual(GuestCpu.Parse("host").GetValueOrThrow(), GuestCpu.Parse("kvm64").GetValueOrThrow());
    }

    [Theory]
    [InlineData("host,phys-bits=7", "phys-bits", 16)]
    [InlineData("host,phys-bits=65", "phys-bits", 16)]
    [InlineData("host,phys-bits=040", "phys-bits", 16)]
    [InlineData("host,guest-phys-bits=31", "guest-phys-bits", 22)]
    [InlineData("host,level=abc", "level", 12)]
    [InlineData("host,level=-1", "level", 12)]
    [InlineData("host,hidden=maybe", "hidden", 13)]
    [InlineData("host,hv-vendor-id=thirteenchars", "hv-vendor-id", 19)]
    [InlineData("host,hv-vendor-id=bad-id", "hv-vendor-id", 19)]
    [InlineData("host,flags=aes", "flags: flag 'aes' needs a '+' or '-'", 12)]
    [InlineData("host,flags=+aes;;+pcid", "flags: empty flag", 12)]
    [InlineData("host,flags=+a$b", "flags: '+a$b' is not a valid flag name", 12)]
    [InlineData("host,flags=", "flags: empty flag list", 12)]
    [InlineData("cputype=", "cputype: empty model", 9)]
    [InlineData("host,level=1,level=2", "level: given twice", 14)]
    [InlineData("host,kvm64", "cputype: given twice", 6)]
    [InlineData("host,=x", "has no key", 6)]
    [InlineData("host,reported-model=athlon", "reported-model", 6)]
    [InlineData("", "empty value", 1)]
    [InlineData("host,hidden=", "hidden: no value", 13)]
    [InlineData("host,new-key=", "new-key: no value", 14)]
    public void Invalid_values_name_the_field(string value, string message, int column)
    {
        var result = GuestCpu.Parse(value, "100.conf cpu");
        Assert.False(result.IsSuccess);
        Assert.Equal("100.conf cpu", result.Error!.Source);
        Assert.Contains(message, result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(column, result.Error.Column);
    }

    [Fact]
    public void Errors_point_into_the_file_when_the_position_is_given()
    {
        var result = GuestCpu.Parse("host,phys-bits=7", "/etc/pve/qemu-server/100.conf", 12, 6);
        Assert.Equal("/etc/pve/qemu-server/100.conf:12:21: phys-bits: '7' must be an integer between 8 and 64 or 'host'", result.Error!.ToString());
    }

    [Theory]
    [InlineData("host,hidden=1,flags=+pcid")]
    [InlineData("cputype=x86-64-v2-AES,,hidden=TRUE")]
    [InlineData("custom-qemu64,phys-bits=host")]
    public void Round_trip_of_handwritten_values(string value) =>
        Assert.Equal(value, GuestCpu.Parse(value).GetValueOrThrow().Format());

    [Fact]
    public void Fuzzed_input_gives_a_value_or_a_typed_error()
    {
        var seeds = RawCpuLines().Select(v => v.Value).Distinct().ToList();
        foreach (var input in Fuzz.InputsWithLongLines(seeds, Fuzz.Cases()))
        {
            var result = GuestCpu.Parse(input, "fuzz");
            var rejection = GuestCpu.VmConfigRejection(input);
            Assert.True(result.IsSuccess || rejection is not null, "a value that does not parse is always refused");
            if (result.IsSuccess)
            {
                Assert.Equal(input, result.Value!.Format());
                var reformatted = result.Value.WithCpuType("x86-64-v3").Format();
                Assert.Equal(result.Value.WithCpuType("x86-64-v3"), GuestCpu.Parse(reformatted).GetValueOrThrow());
            }
            else
            {
                Assert.Equal("fuzz", result.Error!.Source);
            }
        }
    }
}
