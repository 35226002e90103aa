using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Policy;
using static ProxClmc.Guard.Core.Tests.Compliance.ComplianceFixtures;

namespace ProxClmc.Guard.Core.Tests.Compliance;

/// <summary>One test per verdict: given this VM config and these nodes' /proc/cpuinfo, the guest is judged ...</summary>
public sealed class VerdictTests
{
    [Fact]
    public void Ok_a_level_every_node_runs()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("x86-64-v2-AES.conf"));

        Assert.Equal(Verdict.Ok, verdict.Verdict);
        Assert.Equal("every node can run x86-64-v2-AES", verdict.Reason);
        Assert.All(verdict.Fits, f => Assert.True(f.CanRun));
        Assert.Empty(verdict.Notes);
    }

    [Fact]
    public void Ok_no_cpu_line_is_kvm64()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("no-cpu-line.conf"));

        Assert.Equal(Verdict.Ok, verdict.Verdict);
        Assert.Equal("kvm64 (default)", verdict.Cpu);
    }

    [Fact]
    public void Exceeds_baseline_names_the_node_and_the_flags_it_lacks()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("x86-64-v4.conf"));

        Assert.Equal(Verdict.ExceedsBaseline, verdict.Verdict);
        Assert.StartsWith("cannot run on hsw (lacks avx512bw, avx512cd, avx512dq, avx512f, avx512vl)", verdict.Reason, StringComparison.Ordinal);
        var hsw = Assert.Single(verdict.Fits, f => f.Node == "hsw");
        Assert.False(hsw.CanRun);
        Assert.Equal(["avx512bw", "avx512cd", "avx512dq", "avx512f", "avx512vl"], hsw.MissingFlags.Order(StringComparer.Ordinal));
        Assert.True(Assert.Single(verdict.Fits, f => f.Node == "sky").CanRun);
        Assert.True(verdict.Verdict.IsUnsafe());
    }

    [Fact]
    public void Exceeds_baseline_for_a_model_of_the_other_vendor()
    {
        var guest = Vm("haswell-model.conf", node: "amd");
        var verdict = Judge(Nodes(Node("intel", Haswell), Node("amd", EpycZen1)), guest);

        Assert.Equal(Verdict.ExceedsBaseline, verdict.Verdict);
        var amd = Assert.Single(verdict.Fits, f => f.Node == "amd");
        Assert.True(amd.VendorMismatch);
        Assert.Contains("vendor AuthenticAMD, model needs GenuineIntel", amd.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Host_cpu_on_different_nodes()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("host.conf"));

        Assert.Equal(Verdict.HostCpu, verdict.Verdict);
        Assert.StartsWith("host passes the node's CPU through; nodes differ: ", verdict.Reason, StringComparison.Ordinal);
        Assert.Contains("hsw lacks", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Max_is_judged_like_host()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("max.conf"));

        Assert.Equal(Verdict.HostCpu, verdict.Verdict);
        Assert.StartsWith("max passes the node's CPU through", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Host_on_identical_nodes_is_ok_with_a_note()
    {
        var cluster = Nodes(Node("hsw1", Haswell), Node("hsw2", Haswell));

        var verdict = Judge(cluster, Vm("host.conf", node: "hsw1"));

        Assert.Equal(Verdict.Ok, verdict.Verdict);
        Assert.Equal("host on identical CPUs (2 nodes)", verdict.Reason);
        Assert.Contains("adding a different node makes host unsafe", Note(verdict, GuestNote.IdenticalCpus).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Host_on_identical_nodes_is_host_cpu_when_policy_says_unsafe()
    {
        var policy = new GuardPolicy { HostCpu = HostCpuPolicy.Unsafe };
        var cluster = Nodes(policy, Node("hsw1", Haswell), Node("hsw2", Haswell));

        var verdict = Judge(cluster, Vm("host.conf", node: "hsw1"), policy);

        Assert.Equal(Verdict.HostCpu, verdict.Verdict);
        Assert.Contains("policy.host_cpu = \"unsafe\"", verdict.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(verdict.Notes, n => n.Code == GuestNote.IdenticalCpus);
    }

    [Fact]
    public void Unknown_model_for_a_typo()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("typo-model.conf"));

        Assert.Equal(Verdict.UnknownModel, verdict.Verdict);
        Assert.Equal("'Haswel' is not a CPU model Proxmox VE knows (QEMU 7.2, 10.0, 11.1)", verdict.Reason);
    }

    [Fact]
    public void Unknown_model_for_a_custom_model_not_in_cpu_models_conf()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("unknown-custom.conf"), custom: CustomModels());

        Assert.Equal(Verdict.UnknownModel, verdict.Verdict);
        Assert.Equal("custom model 'nope' is not defined in cpu-models.conf", verdict.Reason);
    }

    [Fact]
    public void Unverified_for_a_flag_the_catalog_does_not_know()
    {
        // Only a raw -cpu (or a custom model) can carry a flag outside Proxmox's VM list.
        var verdict = Judge(HaswellAndSkylake(), Vm("unknown-flag.conf"));

        Assert.Equal(Verdict.Unverified, verdict.Verdict);
        Assert.Equal("flag frobnicate not in the CPU catalog: cannot check", verdict.Reason);
        Assert.True(verdict.Verdict.IsWarning());
    }

    [Fact]
    public void Unverified_for_an_args_cpu_that_cannot_be_parsed()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("args-unparsable.conf"));

        Assert.Equal(Verdict.Unverified, verdict.Verdict);
        Assert.StartsWith("args: -cpu cannot be parsed (", verdict.Reason, StringComparison.Ordinal);
        Note(verdict, GuestNote.ArgsOverride);
    }

    [Fact]
    public void Unverified_for_a_model_whose_features_cpuinfo_cannot_show()
    {
        // This Platinum 8480+ has TSX switched off (no hle/rtm in its flags), so plain SapphireRapids cannot start
        // on it; with TSX masked off the model fits, but some of its features (fsrs, fzrm, ...) never appear in
        // /proc/cpuinfo: the honest answer is "probably", not "yes".
        var spr = Nodes(Node("spr", SapphireRapids));

        var plain = Judge(spr, Vm("sapphirerapids.conf", node: "spr"));
        var masked = Judge(spr, Vm("sapphirerapids-notsx-args.conf", node: "spr"));

        Assert.Equal(Verdict.ExceedsBaseline, plain.Verdict);
        Assert.Equal("cannot run on spr (lacks hle, rtm)", plain.Reason);
        Assert.Equal(Verdict.Unverified, masked.Verdict);
        Assert.StartsWith("needs features /proc/cpuinfo cannot show: ", masked.Reason, StringComparison.Ordinal);
        Assert.Contains("fzrm", masked.Reason, StringComparison.Ordinal);
        Assert.True(Assert.Single(masked.Fits).CanRun);
    }

    [Fact]
    public void Not_applicable_for_kvm_0()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("kvm-off.conf"));

        Assert.Equal(Verdict.NotApplicable, verdict.Verdict);
        Assert.Equal("kvm: 0: pure emulation, no host CPU requirement", verdict.Reason);
    }

    [Fact]
    public void Not_applicable_for_a_container()
    {
        var container = new GuestConfig { VmId = 200, Node = "hsw", Name = "pihole", Type = GuestType.Lxc, Origin = Path.Combine(Dir, "lxc-200.conf") };

        var verdict = Judge(HaswellAndSkylake(), container);

        Assert.Equal(Verdict.NotApplicable, verdict.Verdict);
        Assert.Equal("container: runs on the host kernel, no CPU model", verdict.Reason);
    }

    [Fact]
    public void Ignored_by_tag_says_what_it_would_have_been()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("tagged-ignore.conf"));

        Assert.Equal(Verdict.Ignored, verdict.Verdict);
        Assert.Equal(Verdict.HostCpu, verdict.IgnoredVerdict);
        Assert.StartsWith("ignored by tag 'proxclmc-ignore' (would be host-cpu: ", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Ignored_by_vmid()
    {
        var policy = new GuardPolicy { IgnoreVmIds = [4711] };

        var verdict = Judge(HaswellAndSkylake(policy), Vm("x86-64-v4.conf", vmId: 4711), policy);

        Assert.Equal(Verdict.Ignored, verdict.Verdict);
        Assert.Equal(Verdict.ExceedsBaseline, verdict.IgnoredVerdict);
        Assert.StartsWith("ignored by policy.ignore_vmids (would be exceeds-baseline: ", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cpu_value_Proxmox_refuses_is_judged_as_the_kvm64_it_starts_and_the_note_names_file_and_line()
    {
        var guest = Vm("bad-cpu-value.conf");

        var verdict = Judge(HaswellAndSkylake(), guest);

        Assert.Equal(Verdict.Ok, verdict.Verdict);
        Assert.Equal("every node can run kvm64", verdict.Reason);
        var note = Note(verdict, GuestNote.CpuDropped);
        Assert.True(note.IsWarning);
        Assert.StartsWith($"{Path.Combine(Dir, "bad-cpu-value.conf")}:3: phys-bits:", note.Text, StringComparison.Ordinal);
        Assert.EndsWith(": Proxmox ignores this cpu value and starts kvm64", note.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pinned_baseline_flags_a_guest_every_node_could_run_and_reports_the_node_below_it()
    {
        var v2 = new GuardPolicy { Baseline = "x86-64-v2" };
        var sandyAndHaswell = Nodes(v2, Node("snb", "intel-xeon-e5-2670-sandybridge-ep.txt"), Node("hsw", Haswell));

        var aes = Judge(sandyAndHaswell, Vm("x86-64-v2-AES.conf"), v2);
        var kvm64 = Judge(sandyAndHaswell, Vm("no-cpu-line.conf"), v2);

        Assert.Equal(Verdict.ExceedsBaseline, aes.Verdict);
        Assert.Equal("exceeds pinned baseline x86-64-v2 (needs aes)", aes.Reason);
        Assert.All(aes.Fits, f => Assert.True(f.CanRun));
        Assert.Equal(Verdict.Ok, kvm64.Verdict);

        var v3 = new GuardPolicy { Baseline = "x86-64-v3" };
        var pinnedHigh = Nodes(v3, Node("snb", "intel-xeon-e5-2670-sandybridge-ep.txt"), Node("hsw", Haswell));
        Assert.Equal(["snb"], pinnedHigh.NodesBelowPin);
        Assert.Equal("x86-64-v3", pinnedHigh.ClusterCpuType);
    }
}
