using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Fixes;

/// <summary>Given the lab cluster (pve1 Sandy Bridge ... pve4 Skylake-SP, baseline x86-64-v2-AES), fix plans this.</summary>
public class FixPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 13, 5, 1, TimeSpan.Zero);

    private static FixPlan Plan(LabCluster lab, FixOptions? options = null) =>
        new FixPlanner(lab.Evaluator, lab.Baseline, CpuCatalog.Default, options ?? new FixOptions())
            .Plan(lab.Report(), FixPlan.NewId(Now, 0xab12), Now);

    private static FixPlanEntry Entry(FixPlan plan, int vmId) => plan.Entries.Single(e => e.VmId == vmId);

    [Fact]
    public void Level_target_rewrites_exactly_the_unsafe_guests_it_may_touch()
    {
        var lab = LabCluster.Load();

        var plan = Plan(lab);

        Assert.Equal("20261123-130501-ab12", plan.Id);
        Assert.Equal("x86-64-v2-AES", plan.TargetModel);
        Assert.Equal("level", plan.Target);
        Assert.Equal([103, 104, 105, 106, 107, 110, 112, 120, 121], plan.ChangeEntries().Select(e => e.VmId).Order());
        Assert.Equal([111, 114], plan.UnsafeSkips().Select(e => e.VmId).Order());
        Assert.Equal(lab.Guests.Count, plan.Entries.Count);

        var v3 = Entry(plan, 103);
        Assert.Equal("x86-64-v3", v3.OldCpu);
        Assert.Equal("x86-64-v2-AES", v3.NewCpu);
        Assert.Equal(lab.Guest(103).Digest, v3.Digest);
        Assert.Equal("exceeds-baseline", v3.Verdict);
        Assert.False(v3.Pending);
        Assert.Equal("x86-64-v2-AES", Entry(plan, 106).NewCpu);
        Assert.Equal("host-cpu", Entry(plan, 106).Verdict);
        Assert.Equal("x86-64-v2-AES", Entry(plan, 107).NewCpu);
    }

    [Fact]
    public void Every_planned_value_is_judged_ok_on_every_node()
    {
        var lab = LabCluster.Load();
        foreach (var vmId in new[] { 301, 302, 303, 304 })
        {
            lab.AddFixture(vmId);
        }

        var plan = Plan(lab, new FixOptions { RewriteCustomModels = true, FixPhysBits = true, Target = FixTarget.Model("SandyBridge") });

        Assert.NotEmpty(plan.ChangeEntries());
        foreach (var entry in plan.ChangeEntries())
        {
            var judged = lab.Evaluator.EvaluateCpuValue(lab.Guest(entry.VmId), entry.NewCpu);
            Assert.True(judged.Verdict == Verdict.Ok, $"VM {entry.VmId}: {entry.NewCpu} is {judged.Verdict.Name()}: {judged.Reason}");
            Assert.All(judged.Fits, f => Assert.True(f.CanRun, f.Node + ": " + f.Reason));
        }
    }

    [Fact]
    public void A_flag_some_node_lacks_is_dropped_and_listed_the_others_stay()
    {
        var lab = LabCluster.Load();

        var entry = Entry(Plan(lab), 110);

        // pve2 (Haswell-EP) does not show ssbd; every node shows ibrs+ibpb, which is what spec-ctrl needs.
        Assert.Equal(FixAction.Change, entry.Action);
        Assert.Equal("x86-64-v2-AES,flags=+spec-ctrl", entry.NewCpu);
        Assert.Equal(["ssbd"], entry.DroppedFlags);
        Assert.Contains("drops +ssbd", entry.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_other_option_of_the_cpu_value_is_kept()
    {
        var lab = LabCluster.Load();
        lab.AddFixture(301);

        var entry = Entry(Plan(lab), 301);

        Assert.Equal(FixAction.Change, entry.Action);
        var parsed = GuestCpu.Parse(entry.NewCpu!).GetValueOrThrow();
        Assert.Equal("x86-64-v2-AES", parsed.CpuType);
        Assert.True(parsed.Hidden);
        Assert.Equal("proxmox", parsed.HvVendorId);
        Assert.Equal(13u, parsed.Level);
        Assert.Equal(42, parsed.GuestPhysBits);
        Assert.Equal(["+pcid", "-md-clear"], parsed.Flags.Select(f => f.ToString()));
        Assert.Equal(["ssbd"], entry.DroppedFlags);
    }

    [Fact]
    public void Named_target_is_the_best_shared_named_model()
    {
        var lab = LabCluster.Load();

        var plan = Plan(lab, new FixOptions { Target = FixTarget.Named });

        Assert.Equal(lab.Baseline.NamedModel!.Name, plan.TargetModel);
        Assert.Equal("named", plan.Target);
        Assert.Equal(plan.TargetModel, Entry(plan, 104).NewCpu);
    }

    [Fact]
    public void Named_target_with_mixed_vendors_is_an_error_that_says_so()
    {
        var lab = LabCluster.Load(extraNodes: [("pve5", Path.Combine(RepoPaths.Corpus, "cpuinfo", "amd-epyc-7301-zen1.txt"))]);

        var e = Assert.Throws<FixTargetException>(() => new FixPlanner(lab.Evaluator, lab.Baseline, CpuCatalog.Default, new FixOptions { Target = FixTarget.Named }));

        Assert.Contains("different vendors", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_explicit_model_must_be_within_the_baseline_and_the_error_names_the_nodes_that_cannot_run_it()
    {
        var lab = LabCluster.Load();

        var e = Assert.Throws<FixTargetException>(() => new FixPlanner(lab.Evaluator, lab.Baseline, CpuCatalog.Default, new FixOptions { Target = FixTarget.Model("Haswell-noTSX") }));

        Assert.Contains("pve1 cannot run it", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pve4 cannot", e.Message, StringComparison.Ordinal);
        Assert.Throws<FixTargetException>(() => new FixPlanner(lab.Evaluator, lab.Baseline, CpuCatalog.Default, new FixOptions { Target = FixTarget.Model("Haswel") }));
    }

    [Fact]
    public void An_explicit_model_within_the_baseline_is_the_target()
    {
        var lab = LabCluster.Load();

        var plan = Plan(lab, new FixOptions { Target = FixTarget.Model("x86-64-v2") });

        Assert.Equal("x86-64-v2", plan.TargetModel);
        Assert.Equal("x86-64-v2", Entry(plan, 105).NewCpu);
    }

    [Fact]
    public void The_reason_names_the_cause_of_each_verdict_and_every_flag_a_node_lacks()
    {
        var lab = LabCluster.Load();
        var report = lab.Report();

        var plan = Plan(lab);

        // The model, or the +flag, that exceeds the baseline; every flag each refusing node lacks (the table
        // shortens it, the plan's JSON keeps it whole).
        Assert.Equal("x86-64-v3 exceeds the baseline: pve1 lacks abm, avx2, bmi1, bmi2, f16c, fma, movbe", Entry(plan, 103).Reason);
        Assert.Equal("+ssbd on x86-64-v2-AES exceeds the baseline: pve2 lacks ssbd; drops +ssbd", Entry(plan, 110).Reason);
        Assert.Equal("+hv-evmcs on x86-64-v2-AES exceeds the baseline: pve3 lacks vmx (hv-evmcs); drops +hv-evmcs", Entry(plan, 112).Reason);
        Assert.StartsWith("EPYC-Rome exceeds the baseline: pve1 (vendor GenuineIntel, model needs AuthenticAMD;", Entry(plan, 120).Reason, StringComparison.Ordinal);
        Assert.StartsWith("host passes the node's CPU through; nodes differ: pve1 lacks 29 CPU features", Entry(plan, 106).Reason, StringComparison.Ordinal);
        Assert.StartsWith("max passes the node's CPU through; nodes differ:", Entry(plan, 107).Reason, StringComparison.Ordinal);
        Assert.StartsWith("'Haswel' is not a CPU model Proxmox VE knows", Entry(plan, 121).Reason, StringComparison.Ordinal);
        Assert.EndsWith(": the VM cannot start as it is", Entry(plan, 121).Reason, StringComparison.Ordinal);

        // A guest left unsafe says why it stays, then what makes it unsafe: args: -cpu is the judged value, not kvm64.
        Assert.StartsWith("args: -cpu overrides the cpu option: edit args by hand (manual); args: -cpu Haswell-noTSX,+pcid exceeds the baseline: pve1 lacks abm, avx2,", Entry(plan, 111).Reason, StringComparison.Ordinal);
        Assert.Equal("locked (backup): Proxmox refuses changes to a locked VM; x86-64-v3 exceeds the baseline: pve1 lacks abm, avx2, bmi1, bmi2, f16c, fma, movbe", Entry(plan, 114).Reason);

        foreach (var entry in plan.Entries.Where(e => e.Verdict == "exceeds-baseline"))
        {
            var verdict = report.Verdicts.Single(v => v.Guest.VmId == entry.VmId);
            Assert.DoesNotContain("some node", entry.Reason, StringComparison.Ordinal);
            foreach (var fit in verdict.Fits.Where(f => f.IsRefused && !f.VendorMismatch))
            {
                Assert.Contains($"{fit.Node} lacks {string.Join(", ", fit.MissingFlags)}", entry.Reason, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Guests_that_are_not_rewritten_each_say_why()
    {
        var lab = LabCluster.Load();

        var plan = Plan(lab);

        Assert.All(plan.Entries.Where(e => e.Action == FixAction.Skip), e => Assert.False(string.IsNullOrWhiteSpace(e.Reason)));
        Assert.All(plan.Entries.Where(e => e.Action == FixAction.Skip), e => Assert.Null(e.NewCpu));
        Assert.StartsWith("locked (backup)", Entry(plan, 114).Reason, StringComparison.Ordinal);
        Assert.True(Entry(plan, 114).LeavesUnsafe);
        Assert.Contains("args: -cpu", Entry(plan, 111).Reason, StringComparison.Ordinal);
        Assert.Contains("manual", Entry(plan, 111).Reason, StringComparison.Ordinal);
        Assert.True(Entry(plan, 111).LeavesUnsafe);
        Assert.StartsWith("ignored by tag 'proxclmc-ignore'", Entry(plan, 115).Reason, StringComparison.Ordinal);
        Assert.False(Entry(plan, 115).LeavesUnsafe);
        Assert.StartsWith("kvm: 0", Entry(plan, 108).Reason, StringComparison.Ordinal);
        Assert.StartsWith("container", Entry(plan, 200).Reason, StringComparison.Ordinal);
        Assert.Equal("already safe", Entry(plan, 116).Reason);
        Assert.Equal("already safe", Entry(plan, 100).Reason);
        // hv-evmcs needs Intel VMX, which pve3 (itself a VM) does not offer: the flag goes, the level stays.
        Assert.Equal("x86-64-v2-AES", Entry(plan, 112).NewCpu);
        Assert.Contains("drops +hv-evmcs", Entry(plan, 112).Reason, StringComparison.Ordinal);
        Assert.Equal("already safe", Entry(plan, 118).Reason); // locked (suspended), but safe: the lock is not the reason
        Assert.StartsWith("safe now, but pending: cpu becomes x86-64-v3 at the next cold start (exceeds-baseline)", Entry(plan, 102).Reason, StringComparison.Ordinal);
        Assert.False(Entry(plan, 102).LeavesUnsafe);
    }

    [Fact]
    public void Ignored_by_vmid_policy_is_not_rewritten()
    {
        var lab = LabCluster.Load(new GuardPolicy { IgnoreVmIds = [103] });

        var entry = Entry(Plan(lab), 103);

        Assert.Equal(FixAction.Skip, entry.Action);
        Assert.Contains("policy.ignore_vmids", entry.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_model_is_planned_to_the_target_saying_it_cannot_start_as_it_is()
    {
        var lab = LabCluster.Load();

        var entry = Entry(Plan(lab), 121);

        Assert.Equal(FixAction.Change, entry.Action);
        Assert.Equal("unknown-model", entry.Verdict);
        Assert.Equal("x86-64-v2-AES", entry.NewCpu);
        Assert.Contains("cannot start", entry.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Custom_models_are_rewritten_only_with_an_explicit_target()
    {
        var lab = LabCluster.Load();
        lab.AddFixture(303);

        var byDefault = Entry(Plan(lab), 303);
        var withTo = Entry(Plan(lab, new FixOptions { Target = FixTarget.Model("x86-64-v2-AES"), RewriteCustomModels = true }), 303);

        Assert.Equal("exceeds-baseline", byDefault.Verdict);
        Assert.Equal(FixAction.Skip, byDefault.Action);
        Assert.True(byDefault.LeavesUnsafe);
        Assert.Contains("--to", byDefault.Reason, StringComparison.Ordinal);
        Assert.Equal(FixAction.Change, withTo.Action);
        Assert.Equal("x86-64-v2-AES", withTo.NewCpu);
    }

    [Fact]
    public void Phys_bits_host_becomes_the_narrowest_width_only_when_asked()
    {
        var lab = LabCluster.Load();
        lab.AddFixture(302);

        var plain = Plan(lab);
        var fixBits = Plan(lab, new FixOptions { FixPhysBits = true });

        Assert.Equal(43, lab.Baseline.MinPhysBits);
        Assert.Equal("x86-64-v2-AES,phys-bits=host", Entry(plain, 302).NewCpu);
        Assert.Equal("x86-64-v2-AES,phys-bits=43", Entry(fixBits, 302).NewCpu);

        // 119 is ok apart from phys-bits=host across 43- and 46-bit nodes: a candidate only with --fix-phys-bits.
        Assert.Equal(FixAction.Skip, Entry(plain, 119).Action);
        Assert.Contains("--fix-phys-bits", Entry(plain, 119).Reason, StringComparison.Ordinal);
        Assert.Equal(FixAction.Change, Entry(fixBits, 119).Action);
        Assert.Equal("x86-64-v2-AES,phys-bits=43", Entry(fixBits, 119).NewCpu);
    }

    [Fact]
    public void Running_guests_wait_for_include_running_and_then_are_pending_until_a_cold_start()
    {
        var lab = LabCluster.Load();
        lab.Replace(lab.Guest(103) with { Status = "running" });

        var without = Entry(Plan(lab), 103);
        var with = Entry(Plan(lab, new FixOptions { IncludeRunning = true }), 103);

        Assert.Equal(FixAction.Skip, without.Action);
        Assert.True(without.LeavesUnsafe);
        Assert.Contains("--include-running", without.Reason, StringComparison.Ordinal);
        Assert.Equal(FixAction.Change, with.Action);
        Assert.True(with.Pending);
        Assert.Contains("pending until the next cold start", with.Reason, StringComparison.Ordinal);
        Assert.False(Entry(Plan(lab, new FixOptions { IncludeRunning = true }), 104).Pending);
    }

    [Fact]
    public void A_running_guest_whose_fix_already_waits_in_pending_is_not_planned_again()
    {
        var lab = LabCluster.Load();
        lab.Replace(lab.AddFixture(304) with { Status = "running" });

        var entry = Entry(Plan(lab, new FixOptions { IncludeRunning = true }), 304);

        Assert.Equal(FixAction.Skip, entry.Action);
        Assert.Contains("already waits in [PENDING]", entry.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_vmid_filter_limits_the_plan()
    {
        var lab = LabCluster.Load();

        var plan = Plan(lab, new FixOptions { VmIds = [104, 116] });

        Assert.Equal([104, 116], plan.Entries.Select(e => e.VmId));
        Assert.Single(plan.ChangeEntries());
    }

    [Fact]
    public void A_second_plan_after_the_changes_plans_nothing()
    {
        var lab = LabCluster.Load();
        foreach (var entry in Plan(lab).ChangeEntries())
        {
            lab.Replace(lab.Guest(entry.VmId) with { Cpu = entry.NewCpu });
        }

        var again = Plan(lab);

        Assert.Empty(again.ChangeEntries());
        Assert.Equal([111, 114], again.UnsafeSkips().Select(e => e.VmId).Order());
    }

    [Theory]
    [InlineData("20261123-130501-ab12", true)]
    [InlineData("20261123-130501-AB12", false)]
    [InlineData("../../etc/passwd-xxxx", false)]
    [InlineData("20261123-130501-ab1", false)]
    [InlineData("", false)]
    public void Plan_ids_are_validated_before_they_name_files(string id, bool valid) =>
        Assert.Equal(valid, FixPlan.IsValidId(id));

    [Fact]
    public void Plan_ids_come_from_the_time_and_16_random_bits() =>
        Assert.Equal("20261123-130501-0007", FixPlan.NewId(Now, 0x70007));
}
