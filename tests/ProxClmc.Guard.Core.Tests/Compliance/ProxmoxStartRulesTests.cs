using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;
using static ProxClmc.Guard.Core.Tests.Compliance.ComplianceFixtures;

namespace ProxClmc.Guard.Core.Tests.Compliance;

/// <summary>What qemu-server changes in the CPU it starts (CPUConfig.pm), and what that means for a verdict.</summary>
public sealed class ProxmoxStartRulesTests
{
    [Theory]
    [InlineData("x86-64-v2-AES,flags=+avx2", "flag 'avx2' is not allowed in a VM config")]
    [InlineData("x86-64-v2-AES,flags=+md_clear", "flag 'md_clear' is not allowed in a VM config")]
    [InlineData("kvm64,bogus=1", "unknown key 'bogus'")]
    [InlineData("flags=+aes", "the value names no CPU model")]
    [InlineData("kvm64,reported-model=Haswell", "reported-model: only allowed in a custom CPU model, not in a VM's cpu")]
    [InlineData("x86-64-v3,phys-bits=7", "phys-bits: '7' must be an integer between 8 and 64 or 'host'")]
    [InlineData("x86-64-v3,level=4294967296", "level: '4294967296' must be an integer between 0 and 4294967295")]
    public void Values_Proxmox_refuses_say_why(string value, string reason) =>
        Assert.Equal(reason, GuestCpu.VmConfigRejection(value));

    [Theory]
    [InlineData("x86-64-v2-AES,flags=+md-clear;+pcid;+spec-ctrl;+ssbd;+ibpb;+virt-ssbd;+amd-ssbd;+amd-no-ssb;+pdpe1gb;+hv-tlbflush;+hv-evmcs;+aes;+nested-virt")]
    [InlineData("host,level=4294967295,hidden=1,hv-vendor-id=proxmox,phys-bits=host,guest-phys-bits=40")]
    [InlineData("custom-anything")]
    public void Values_Proxmox_accepts_pass(string value) => Assert.Null(GuestCpu.VmConfigRejection(value));

    [Fact]
    public void An_unknown_model_is_refused_only_when_asked_to_check_models()
    {
        Assert.Null(GuestCpu.VmConfigRejection("Haswel"));
        Assert.Equal("built-in cputype 'Haswel' is not defined", GuestCpu.VmConfigRejection("Haswel", _ => false));
        Assert.Equal("custom model 'x' is not defined", GuestCpu.VmConfigRejection("custom-x", _ => false));
    }

    [Fact]
    public void An_unknown_model_stays_unknown_model()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("unknown-model.conf"));

        Assert.Equal(Verdict.UnknownModel, verdict.Verdict);
        Assert.DoesNotContain(verdict.Notes, n => n.Code == GuestNote.CpuDropped);
    }

    [Fact]
    public void A_raw_kvm64_is_QEMUs_kvm64_without_Proxmoxs_lahf_lm_and_sep()
    {
        // A Netburst Xeon has no lahf_lm: Proxmox's kvm64 (+lahf_lm,+sep) needs it, QEMU's own kvm64 does not.
        var cluster = Nodes(Node("p4", "intel-xeon-netburst-3.00ghz-i386kernel.txt"), Node("hsw", Haswell));

        var proxmox = Judge(cluster, Vm("no-cpu-line.conf"));
        var raw = Judge(cluster, Vm("raw-kvm64.conf"));

        Assert.Contains("lahf_lm", proxmox.Fits.Single(f => f.Node == "p4").MissingFlags);
        Assert.DoesNotContain("lahf_lm", raw.Fits.Single(f => f.Node == "p4").MissingFlags);
    }

    [Fact]
    public void Virt_ssbd_runs_on_AMD_nodes_that_show_ssbd_and_never_on_Intel()
    {
        // Proxmox recommends +virt-ssbd for AMD guests; bare-metal AMD never shows virt_ssbd, KVM derives it from ssbd.
        var amd = Judge(Nodes(Node("zen1", EpycZen1), Node("zen4", "amd-epyc-9654-zen4.txt")), Vm("virt-ssbd.conf", node: "zen1"));
        var mixed = Judge(Nodes(Node("zen1", EpycZen1), Node("hsw", Haswell)), Vm("virt-ssbd.conf", node: "zen1"));

        Assert.Equal(Verdict.Ok, amd.Verdict);
        Assert.Equal(Verdict.ExceedsBaseline, mixed.Verdict);
        Assert.Equal(["virt-ssbd (not on Intel)"], mixed.Fits.Single(f => f.Node == "hsw").MissingFlags);
    }

    [Fact]
    public void Nested_virt_is_the_start_nodes_vmx_or_svm_and_moves_only_within_that_vendor()
    {
        var cluster = Nodes(Node("zen1", EpycZen1), Node("hsw", Haswell), Node("sky", SkylakeSp));

        var fromIntel = Judge(cluster, Vm("nested-virt.conf", node: "hsw"));
        var fromAmd = Judge(cluster, Vm("nested-virt.conf", node: "zen1"));
        var intelOnly = Judge(HaswellAndSkylake(), Vm("nested-virt.conf", node: "hsw"));

        Assert.Equal(["zen1"], fromIntel.Fits.Where(f => f.IsRefused).Select(f => f.Node));
        Assert.Equal(["hsw", "sky"], fromAmd.Fits.Where(f => f.IsRefused).Select(f => f.Node));
        Assert.Equal(Verdict.Ok, intelOnly.Verdict);
    }

    [Fact]
    public void Opteron_models_are_started_without_rdtscp()
    {
        var cluster = Nodes(Node("k10", "amd-opteron-2374he-k10-shanghai.txt"), Node("zen", EpycZen1));

        var verdict = Judge(cluster, Vm("opteron-g3.conf"));

        Assert.DoesNotContain("rdtscp", verdict.Fits.Single(f => f.Node == "k10").MissingFlags);
    }

    [Fact]
    public void Win11_without_cet_on_QEMU_11_is_judged_with_it_and_says_where_that_differs()
    {
        // Haswell has no CET (ibt, user_shstk): with QEMU 11.0+ Proxmox removes both for win11 guests.
        var win11 = Judge(HaswellAndSkylake(), Vm("win11-cet.conf"), custom: CustomModels());

        Assert.Equal(Verdict.ExceedsBaseline, win11.Verdict);
        var note = Note(win11, GuestNote.QemuVersion);
        Assert.Equal("win11: on nodes with QEMU 11.0 or newer Proxmox removes cet-ibt and cet-ss, and then hsw, sky can run it; judged as on an older QEMU (the nodes' QEMU versions are unknown)", note.Text);
    }

    [Fact]
    public void Win11_cet_follows_each_nodes_own_QEMU_version_where_its_facts_say_it()
    {
        // Neither node offers CET: Proxmox removes cet-ibt and cet-ss on the node whose QEMU is 11.0, not on 10.1.
        static Core.Facts.QemuCpuAnswer Qemu(string version) => new()
        {
            Version = version,
            Models = [new Core.Facts.QemuModelAnswer("kvm64", [])],
            HostFeatures = ["lahf_lm", "lahf-lm", "sep", "avx2"],
        };
        var cluster = Nodes(Node("hsw", Haswell) with { Qemu = Qemu("11.0.0") }, Node("sky", SkylakeSp) with { Qemu = Qemu("10.1.2") });

        var win11 = Judge(cluster, Vm("win11-cet.conf"), custom: CustomModels());

        Assert.True(win11.Fits.Single(f => f.Node == "hsw").CanRun);
        Assert.True(win11.Fits.Single(f => f.Node == "sky").IsRefused);
        Assert.DoesNotContain(win11.Notes, n => n.Code == GuestNote.QemuVersion);
    }

    [Theory]
    [InlineData("custom-loop.conf", "reported-model 'custom-lab-loop-b' is not a built-in CPU model")]
    [InlineData("custom-level.conf", "reported-model 'x86-64-v3' is not a built-in CPU model")]
    public void A_reported_model_that_is_not_a_QEMU_model_is_refused_not_followed(string file, string reason)
    {
        var verdict = Judge(HaswellAndSkylake(), Vm(file), custom: CustomModels());

        Assert.Equal(Verdict.InvalidConfig, verdict.Verdict);
        Assert.Contains(reason, verdict.Reason, StringComparison.Ordinal);
        Assert.Contains("cpu-models.conf:", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_foreign_arch_needs_nothing_of_the_host()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("aarch64-cortex.conf"));

        Assert.Equal(Verdict.NotApplicable, verdict.Verdict);
        Assert.Empty(verdict.Fits);
    }

    [Theory]
    [InlineData("pc-q35-11.0+pve2", 11, 0, 2)]
    [InlineData("pc-i440fx-7.1", 7, 1, 0)]
    [InlineData("type=q35,viommu=virtio", null, null, null)]
    [InlineData("q35", null, null, null)]
    [InlineData("pc-q35-4.1+pve2.pxe", 4, 1, 2)]
    public void Machine_versions_are_read_as_qemu_server_pins_them(string machine, int? major, int? minor, int? pve)
    {
        var version = ComplianceEvaluator.MachineVersion(machine);

        Assert.Equal(major is null ? null : (major.Value, minor!.Value, pve!.Value), version);
    }
}
