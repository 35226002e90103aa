using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Policy;
using static ProxClmc.Guard.Core.Tests.Compliance.ComplianceFixtures;

namespace ProxClmc.Guard.Core.Tests.Compliance;

/// <summary>One test per note: given this VM config and these nodes, the verdict carries ...</summary>
public sealed class NoteTests
{
    [Fact]
    public void Args_override_judges_the_args_model_instead_of_cpu()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("args-override.conf"));

        Assert.Equal(Verdict.ExceedsBaseline, verdict.Verdict);
        Assert.Equal("args: -cpu Skylake-Server-IBRS,+pcid", verdict.Cpu);
        Assert.Contains("hsw (lacks", verdict.Reason, StringComparison.Ordinal);
        Assert.Equal("args: -cpu overrides the cpu option", Note(verdict, GuestNote.ArgsOverride).Text);
    }

    [Fact]
    public void Pending_change_judges_the_value_waiting_for_the_next_cold_start()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("pending.conf"));

        Assert.Equal(Verdict.Ok, verdict.Verdict);
        var note = Note(verdict, GuestNote.PendingChange);
        Assert.Equal("pending: cpu becomes x86-64-v4 at the next cold start (exceeds-baseline)", note.Text);
        Assert.True(note.IsWarning);
    }

    [Fact]
    public void Snapshot_cpu_when_a_snapshot_has_another_cpu()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("snapshot-cpu.conf"));

        Assert.Equal(Verdict.Ok, verdict.Verdict);
        Assert.Equal("snapshot 'before-change' has cpu host", Note(verdict, GuestNote.SnapshotCpu).Text);
    }

    [Fact]
    public void Snapshot_runningcpu_when_a_RAM_snapshot_pins_a_model_some_node_lacks()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("ram-snapshot.conf"));

        Assert.Equal(Verdict.Ok, verdict.Verdict);
        var note = Note(verdict, GuestNote.SnapshotRunningCpu);
        Assert.StartsWith("RAM snapshot 'before-upgrade' rolls back with -cpu Skylake-Server-IBRS: cannot run on hsw", note.Text, StringComparison.Ordinal);
        Assert.True(note.IsWarning);
    }

    [Fact]
    public void Suspended_when_a_hibernated_VM_resumes_with_its_runningcpu()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("suspended.conf"));

        Assert.Equal(Verdict.Ok, verdict.Verdict);
        var note = Note(verdict, GuestNote.Suspended);
        Assert.StartsWith("hibernated: resumes with -cpu Skylake-Server-IBRS: cannot run on hsw", note.Text, StringComparison.Ordinal);
        Assert.True(note.IsWarning);
        Note(verdict, GuestNote.Locked);
    }

    [Fact]
    public void Phys_bits_host_across_nodes_of_different_widths()
    {
        var verdict = Judge(Nodes(Node("hsw", Haswell), Node("bdw", BroadwellEp)), Vm("phys-bits-host.conf"));

        Assert.Equal(Verdict.Ok, verdict.Verdict);
        var note = Note(verdict, GuestNote.PhysBitsHost);
        Assert.StartsWith("phys-bits=host across nodes of 43/46 bits", note.Text, StringComparison.Ordinal);
        Assert.EndsWith("(use phys-bits=43)", note.Text, StringComparison.Ordinal);
        Assert.True(note.IsWarning);
    }

    [Fact]
    public void Phys_bits_host_on_nodes_of_one_width_needs_no_note()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("phys-bits-host.conf"));

        Assert.DoesNotContain(verdict.Notes, n => n.Code == GuestNote.PhysBitsHost);
    }

    [Fact]
    public void Template()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("template.conf"));

        Assert.Equal(Verdict.Ok, verdict.Verdict);
        Assert.Equal("template: clones inherit this CPU type", Note(verdict, GuestNote.Template).Text);
    }

    [Fact]
    public void Locked()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("locked.conf"));

        Assert.Equal("locked (backup): will not be rewritten", Note(verdict, GuestNote.Locked).Text);
    }

    [Fact]
    public void Vendor_mix_on_a_named_model()
    {
        var verdict = Judge(Nodes(Node("intel", Haswell), Node("amd", EpycZen1)), Vm("haswell-model.conf", node: "intel"));

        Assert.Equal("Haswell-noTSX is a Intel model in a cluster with mixed CPU vendors", Note(verdict, GuestNote.VendorMix).Text.Replace("Haswell-noTSX-v1", "Haswell-noTSX", StringComparison.Ordinal));
    }

    [Fact]
    public void Strict_vendor_false_lets_an_Intel_model_run_where_the_AMD_node_has_its_flags()
    {
        var lax = new GuardPolicy { StrictVendor = false };
        var cluster = Nodes(lax, Node("intel", Haswell), Node("amd", EpycZen1));

        var strict = Judge(Nodes(Node("intel", Haswell), Node("amd", EpycZen1)), Vm("haswell-model.conf", node: "intel"));
        var relaxed = Judge(cluster, Vm("haswell-model.conf", node: "intel"), lax);

        Assert.True(Assert.Single(strict.Fits, f => f.Node == "amd").VendorMismatch);
        var amd = Assert.Single(relaxed.Fits, f => f.Node == "amd");
        Assert.False(amd.VendorMismatch);
        Assert.DoesNotContain("vendor", amd.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Custom_model_resolves_through_cpu_models_conf()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("custom-model.conf"), custom: CustomModels());

        Assert.Equal(Verdict.Ok, verdict.Verdict);
        Assert.Equal("custom model 'lab-haswell' = Haswell-noTSX,+aes,+pcid", Note(verdict, GuestNote.CustomModel).Text);
    }

    [Fact]
    public void Unchecked_nodes_when_a_node_could_not_be_read()
    {
        var cluster = Nodes(Node("hsw", Haswell), Node("sky", SkylakeSp), NodeFacts.Unreadable("pve3", "ssh: connection refused", FactsSource.Ssh));

        var verdict = Judge(cluster, Vm("x86-64-v2-AES.conf"));

        Assert.Equal(Verdict.Ok, verdict.Verdict);
        Assert.Equal("every readable node can run x86-64-v2-AES", verdict.Reason);
        var note = Note(verdict, GuestNote.UncheckedNodes);
        Assert.Equal("not checked on pve3 (CPU facts unavailable)", note.Text);
        Assert.True(note.IsWarning);
        Assert.Null(Assert.Single(verdict.Fits, f => f.Node == "pve3").CanRun);
    }

    [Fact]
    public void Qemu_version_for_a_model_only_the_newest_QEMU_knows()
    {
        var verdict = Judge(HaswellAndSkylake(), Vm("qemu-11-only.conf"));

        var note = Note(verdict, GuestNote.QemuVersion);
        Assert.Contains("is known only to QEMU 11.1", note.Text, StringComparison.Ordinal);
        Assert.EndsWith("older nodes refuse it", note.Text, StringComparison.Ordinal);
    }
}
