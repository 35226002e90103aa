using ProxClmc.Guard.Core.Compliance;

namespace ProxClmc.Guard.Core.Tests.Ha;

/// <summary>Given contrib/examples/ha-lab (pve1 Sandy Bridge, pve2 Haswell, pve3 Broadwell, pve4 and pve5 Skylake).</summary>
public sealed class HaVerdictTests
{
    [Fact]
    public void A_guest_a_strict_rule_keeps_on_capable_nodes_is_ok_and_the_note_names_the_rule()
    {
        var verdict = HaLab.Load().Judge(201);

        Assert.Equal(Verdict.Ok, verdict.Verdict);
        Assert.Equal("every node of strict HA rule 'skx-only' (pve4, pve5) can run x86-64-v4", verdict.Reason);
        var note = Assert.Single(verdict.Notes, n => n.Code == GuestNote.HaRule);
        Assert.Contains("'skx-only'", note.Text, StringComparison.Ordinal);
        Assert.False(note.IsWarning);
        Assert.DoesNotContain(verdict.Notes, n => n.Code == GuestNote.HaRecovery);
        Assert.Equal(["pve4", "pve5"], verdict.Placement!.NodeNames);
    }

    [Fact]
    public void The_same_guest_under_a_non_strict_rule_is_unsafe_with_ha_recovery()
    {
        var lab = HaLab.Load(rules => rules.Replace("resources vm:201,vm:209\n\tstrict 1", "resources vm:201,vm:209\n\tstrict 0", StringComparison.Ordinal));

        var verdict = lab.Judge(201);

        Assert.Equal(Verdict.ExceedsBaseline, verdict.Verdict);
        var recovery = Assert.Single(verdict.Notes, n => n.Code == GuestNote.HaRecovery);
        Assert.True(recovery.IsWarning);
        Assert.Equal("if pve4 fails, the HA manager may restart VM 201 on pve1, pve2, pve3, which cannot start it", recovery.Text);
        Assert.Contains(verdict.Notes, n => n.Code == GuestNote.HaRule && n.Text.Contains("non-strict HA rule 'skx-only'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_restricted_group_judges_like_a_strict_rule()
    {
        var verdict = HaLab.Load().Judge(203);

        Assert.Equal(Verdict.Ok, verdict.Verdict);
        Assert.Contains("restricted HA group 'v3-nodes' (pve2, pve3)", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_cpu_guest_pinned_to_identical_nodes_is_ok()
    {
        var verdict = HaLab.Load().Judge(209);

        Assert.Equal(Verdict.Ok, verdict.Verdict);
        Assert.Equal("host on identical CPUs (2 nodes of strict HA rule 'skx-only' (pve4, pve5))", verdict.Reason);
    }

    [Fact]
    public void An_HA_guest_without_a_rule_gets_ha_recovery_for_the_nodes_that_cannot_start_it()
    {
        var verdict = HaLab.Load().Judge(205);

        Assert.Equal(Verdict.ExceedsBaseline, verdict.Verdict);
        Assert.Equal("if pve4 fails, the HA manager may restart VM 205 on pve1, which cannot start it", verdict.Notes.Single(n => n.Code == GuestNote.HaRecovery).Text);
        Assert.DoesNotContain(verdict.Notes, n => n.Code == GuestNote.HaRule);
    }

    [Fact]
    public void Ha_recovery_is_a_warning_even_when_live_migration_is_not_a_concern()
    {
        // The strict rule keeps vm:201 on pve4 and pve5; a third node in the rule that lacks AVX-512 would make the
        // rule's own nodes unsafe (a live migration there fails too), and recovery may pick it: both are said.
        var lab = HaLab.Load(rules => rules.Replace("nodes pve4,pve5\n", "nodes pve4,pve5,pve3\n", StringComparison.Ordinal));

        var verdict = lab.Judge(201);

        Assert.Equal(Verdict.ExceedsBaseline, verdict.Verdict);
        Assert.Equal("if pve4 fails, the HA manager may restart VM 201 on pve3, which cannot start it", verdict.Notes.Single(n => n.Code == GuestNote.HaRecovery).Text);

        // An ignored verdict (policy) still carries the recovery warning: HA recovery does not read our policy.
        var ignored = new ComplianceEvaluator(lab.Baseline, ProxClmc.Guard.Core.Catalog.CpuCatalog.Default, new ProxClmc.Guard.Core.Policy.GuardPolicy { IgnoreVmIds = [201] }, null, lab.Placement)
            .Evaluate(lab.Guest(201));
        Assert.Equal(Verdict.Ignored, ignored.Verdict);
        Assert.True(ignored.HasWarningNote);
    }

    [Fact]
    public void Guests_the_HA_manager_does_not_manage_are_judged_against_every_node()
    {
        var lab = HaLab.Load();

        var ignoredByHa = lab.Judge(210);
        var plain = lab.Judge(208);

        Assert.Null(ignoredByHa.Placement);
        Assert.Equal(Verdict.ExceedsBaseline, ignoredByHa.Verdict);
        Assert.DoesNotContain(ignoredByHa.Notes, n => n.Code is GuestNote.HaRule or GuestNote.HaRecovery);
        Assert.Null(plain.Placement);
        Assert.Equal(Verdict.Ok, plain.Verdict);
    }
}
