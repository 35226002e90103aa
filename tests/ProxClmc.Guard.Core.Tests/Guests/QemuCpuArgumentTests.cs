using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Guests;

public sealed class QemuCpuArgumentTests
{
    private static string ArgsOf(string file) =>
        VmConfig.Parse(GuestCorpus.Read("real-world/" + file), file).GetValueOrThrow().Main.Get("args")!;

    [Fact]
    public void Nine_corpus_args_lines_carry_a_cpu_and_all_read()
    {
        var found = GuestCorpus.VmConfigs
            .Select(f => VmConfig.Parse(GuestCorpus.Read(f), f).GetValueOrThrow().Main.Get("args"))
            .Where(a => a is not null)
            .Select(a => QemuCpuArgument.FindIn(a!))
            .Where(r => r is not null)
            .ToList();

        Assert.Equal(9, found.Count);
        Assert.All(found, r => Assert.True(r!.IsSuccess, r.Error?.ToString()));
    }

    [Fact]
    public void Quoted_host_with_hyper_v_enlightenments()
    {
        var cpu = QemuCpuArgument.FindIn(ArgsOf("halimbo-FRAGMENT-args-cpu-only.conf"))!.GetValueOrThrow();

        Assert.Equal("host", cpu.Model);
        Assert.Equal([new GuestCpuFlag(true, "invtsc")], cpu.Flags);
        Assert.Equal(
            ["hv_relaxed", "hv_vapic", "hv_spinlocks=0x1fff", "hv_vpindex", "hv_runtime", "hv_time", "hv_frequencies", "hv_reset", "kvm=off", "hv_vendor_id=null"],
            cpu.OtherOptions);
    }

    [Fact]
    public void Cpu_in_the_middle_of_other_devices()
    {
        var cpu = QemuCpuArgument.FindIn(ArgsOf("halimbo-100-host-plus-args-cpu.conf"))!.GetValueOrThrow();
        Assert.Equal("host", cpu.Model);
        Assert.Empty(cpu.Flags);
        Assert.Contains("hv_vendor_id=1234567890ab", cpu.OtherOptions);
        Assert.Contains("hv_evmcs", cpu.OtherOptions);

        var hidden = QemuCpuArgument.FindIn(ArgsOf("andreipaul-100-host-hidden-flags.conf"))!.GetValueOrThrow();
        Assert.Equal([new GuestCpuFlag(true, "kvm_pv_unhalt"), new GuestCpuFlag(true, "kvm_pv_eoi")], hidden.Flags);
        Assert.Equal(["hv_vendor_id=NV43FIX", "kvm=off"], hidden.OtherOptions);
    }

    [Fact]
    public void Named_model_after_a_quoted_osk_with_parentheses()
    {
        var cpu = QemuCpuArgument.FindIn(ArgsOf("hongyizhao-103-penryn-plus-args-cpu.conf"))!.GetValueOrThrow();
        Assert.Equal("Penryn", cpu.Model);
        Assert.Equal(["kvm=on", "vendor=GenuineIntel", "check"], cpu.OtherOptions);
        Assert.Equal(17, cpu.Flags.Count);
        Assert.All(cpu.Flags, f => Assert.True(f.Enabled));
        Assert.Contains(new GuestCpuFlag(true, "sse4.2"), cpu.Flags);
        Assert.Contains(new GuestCpuFlag(true, "fma4"), cpu.Flags);

        var notsx = QemuCpuArgument.FindIn(ArgsOf("technomagniaque-333-NO-cpu-line-args-haswell-notsx.conf"))!.GetValueOrThrow();
        Assert.Equal("Haswell-noTSX", notsx.Model);
        Assert.Equal([new GuestCpuFlag(true, "invtsc"), new GuestCpuFlag(true, "hypervisor")], notsx.Flags);
        Assert.Equal(["vendor=GenuineIntel", "kvm=on", "vmware-cpuid-freq=on"], notsx.OtherOptions);
    }

    [Fact]
    public void Args_broken_by_a_line_break_end_where_Proxmox_cuts_them()
    {
        // Proxmox drops the wrapped second line, so QEMU only ever sees the flags before the break.
        var cpu = QemuCpuArgument.FindIn(ArgsOf("iroger-100-penryn-BROKEN-args-linebreak.conf"))!.GetValueOrThrow();
        Assert.Equal("Penryn", cpu.Model);
        Assert.Equal([new GuestCpuFlag(true, "kvm_pv_unhalt")], cpu.Flags);
        Assert.Equal(["kvm=on", "vendor=GenuineIntel"], cpu.OtherOptions);
    }

    [Fact]
    public void Args_without_cpu_give_null()
    {
        // Cascadelake-Server follows -smbios type=2 without a -cpu: QEMU would reject it, but it names no CPU.
        Assert.Null(QemuCpuArgument.FindIn(ArgsOf("pavoim-100-host-comment-line.conf")));
        Assert.Null(QemuCpuArgument.FindIn("-device qemu-xhci -smp 4"));
        Assert.Null(QemuCpuArgument.FindIn(""));
        Assert.Null(QemuCpuArgument.FindIn("-device 'unclosed"));
    }

    [Theory]
    [InlineData("-cpu host,+avx -cpu Skylake-Client,-hle", "Skylake-Client", "-hle")]
    [InlineData("-cpu \"EPYC-Rome,+ibpb\"", "EPYC-Rome", "+ibpb")]
    [InlineData("--cpu max,avx512f=on,pcid=off", "max", "+avx512f -pcid")]
    [InlineData("-cpu qemu64,avx2", "qemu64", "+avx2")]
    [InlineData("-cpu kvm64,hv-relaxed,enforce,l3-cache=off", "kvm64", "")]
    public void Spec_forms(string args, string model, string flags)
    {
        var cpu = QemuCpuArgument.FindIn(args)!.GetValueOrThrow();
        Assert.Equal(model, cpu.Model);
        Assert.Equal(flags, string.Join(' ', cpu.Flags));
    }

    [Theory]
    [InlineData("-smp 2 -cpu", 8, "has no model")]
    [InlineData("-cpu ''", 6, "empty model")]
    [InlineData("-cpu ,+avx", 6, "no model")]
    [InlineData("-cpu +avx", 6, "does not start with a CPU model")]
    [InlineData("-cpu host,,+avx", 11, "empty option")]
    [InlineData("-cpu host,+a$b", 11, "not a valid flag")]
    [InlineData("-cpu 'host,+avx", 6, "unbalanced quote")]
    [InlineData("-cpu host,foo bar=1", 0, "")]
    public void Unreadable_cpu_is_a_failure_with_column(string args, int column, string message)
    {
        var result = QemuCpuArgument.FindIn(args, "100.conf args");
        Assert.NotNull(result);
        if (message.Length == 0)
        {
            // "bar=1" is a separate word: QEMU would reject it, but the -cpu itself is fine.
            Assert.True(result!.IsSuccess);
            return;
        }

        Assert.False(result!.IsSuccess);
        Assert.Equal("100.conf args", result.Error!.Source);
        Assert.Contains(message, result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(column, result.Error.Column);
    }

    [Fact]
    public void Fuzzed_input_gives_null_a_value_or_a_typed_error()
    {
        var seeds = GuestCorpus.VmConfigs
            .Select(f => VmConfig.Parse(GuestCorpus.Read(f), f).GetValueOrThrow().Main.Get("args"))
            .OfType<string>()
            .ToList();
        foreach (var input in Fuzz.InputsWithLongLines(seeds, Fuzz.Cases()))
        {
            var result = QemuCpuArgument.FindIn(input, "fuzz");
            if (result is { IsSuccess: true })
            {
                Assert.False(string.IsNullOrEmpty(result.Value!.Model));
            }
            else if (result is not null)
            {
                Assert.Equal("fuzz", result.Error!.Source);
            }
        }
    }
}
