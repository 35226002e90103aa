using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Ha;

namespace ProxClmc.Guard.Core.Tests.Ha;

public sealed class HaMaintenanceTests
{
    /// <summary>Whether a node can run a guest, as the verdict's per-node answers say.</summary>
    private static Func<GuestConfig, string, bool?> CanRun(HaLab lab) =>
        (guest, node) => lab.Evaluator.EvaluateCpuValue(guest, guest.Cpu) switch
        {
            { Verdict: Verdict.HostCpu } => null,
            var v => v.Fits.FirstOrDefault(f => f.Node == node)?.CanRun,
        };

    [Fact]
    public void Maintenance_of_pve4_lists_each_HA_guest_its_candidates_and_the_blockers()
    {
        var lab = HaLab.Load();

        var plan = HaMaintenance.Plan("pve4", lab.Guests, lab.Placement, lab.Nodes, CanRun(lab)).ToDictionary(e => e.Guest.VmId);

        // 210 is ignored by HA; 201 strict, 205 no rule, 206 together with 207, 209 host (strict), 211 prefers v3 nodes.
        Assert.Equal([201, 205, 206, 209, 211], plan.Keys.Order());
        Assert.Equal("pve5", plan[201].Pick);
        Assert.Equal(["pve5"], plan[201].CapableAllowed);
        Assert.False(plan[201].IsAtRisk || plan[201].IsBlocker);

        Assert.Equal(["pve1", "pve2", "pve3", "pve5"], plan[205].Candidates);
        Assert.Equal(["pve1"], plan[205].IncapableCandidates);
        Assert.True(plan[205].IsAtRisk);

        Assert.Equal("pve5", plan[206].Pick);
        Assert.Equal("only pve5: vm:207 runs there, and rule 'cache-together' keeps them together", Assert.Single(plan[206].Constraints));

        Assert.Equal(["pve2", "pve3"], plan[211].Candidates);
        Assert.Equal(["pve5"], plan[211].CapableAllowed);
        Assert.True(plan[211].IsBlocker);
    }

    [Fact]
    public void A_negative_rule_removes_the_partner_node_and_can_leave_nothing()
    {
        var lab = HaLab.Load();

        var web1 = Assert.Single(HaMaintenance.Plan("pve2", lab.Guests, lab.Placement, lab.Nodes, CanRun(lab)));

        Assert.Empty(web1.Candidates);
        Assert.True(web1.IsBlocker);
        Assert.Equal("not pve3: vm:204 runs there, and rule 'web-apart' keeps them apart", Assert.Single(web1.Constraints));
        Assert.Equal(["pve3"], web1.CapableAllowed);
    }

    [Fact]
    public void Priorities_decide_where_HA_looks_first()
    {
        var lab = HaLab.Load();

        var app = Assert.Single(HaMaintenance.Plan("pve5", lab.Guests, lab.Placement, lab.Nodes, CanRun(lab)), e => e.Guest.VmId == 202);

        Assert.Equal("pve4", app.Pick);
        Assert.False(app.IsAtRisk);
    }
}
