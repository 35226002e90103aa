using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Policy;
using static ProxClmc.Guard.Core.Tests.Compliance.ComplianceFixtures;

namespace ProxClmc.Guard.Core.Tests.Compliance;

/// <summary>"Can this VM go there?" per pair of nodes, as <c>check</c> and the hook answer it.</summary>
public sealed class MigrationAdvisorTests
{
    private static MigrationAdvisor Advisor(params NodeFacts[] nodes) => new(nodes, CpuCatalog.Default, new GuardPolicy());

    [Fact]
    public void Phys_bits_host_may_move_to_a_wider_node_but_not_to_a_narrower_one()
    {
        var advisor = Advisor(Node("wide", Haswell), Node("narrow", BroadwellEp));
        var onWide = Vm("phys-bits-host.conf", node: "wide");
        var onNarrow = Vm("phys-bits-host.conf", node: "narrow");

        var shrink = advisor.Check(onWide, "narrow");
        var grow = advisor.Check(onNarrow, "wide");

        Assert.False(shrink.Allowed);
        Assert.Contains("phys-bits=host: wide has 46-bit physical addresses, narrow only 43", shrink.Reason, StringComparison.Ordinal);
        Assert.True(grow.Allowed, grow.Reason);
    }

    [Fact]
    public void A_named_model_is_judged_against_the_target_alone()
    {
        var advisor = Advisor(Node("hsw", Haswell), Node("sky", SkylakeSp));
        var v4 = Vm("x86-64-v4.conf", node: "sky");

        var toHaswell = advisor.Check(v4, "hsw");
        var stay = advisor.Check(v4, "sky");

        Assert.False(toHaswell.Allowed);
        Assert.Contains("avx512f", toHaswell.Reason, StringComparison.Ordinal);
        Assert.True(stay.Allowed, stay.Reason);
    }

    [Fact]
    public void Host_needs_an_identical_cpu_on_the_target()
    {
        var advisor = Advisor(Node("hsw", Haswell), Node("hsw-twin", Haswell), Node("sky", SkylakeSp));
        var host = Vm("host.conf", node: "hsw");

        Assert.True(advisor.Check(host, "hsw-twin").Allowed);
        var other = advisor.Check(host, "sky");
        Assert.False(other.Allowed);
        Assert.StartsWith("host CPU differs", other.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Host_names_only_features_a_guest_can_see_the_most_important_first()
    {
        // Haswell-EP has flags the Broadwell-EP VM's view lacks. Those without a QEMU feature (aperfmperf, ...) never
        // reach a guest and are no reason; the rest are named the most important first, as scan ranks them.
        var advisor = Advisor(Node("hsw", Haswell), Node("bdw", BroadwellEp), Node("sky", SkylakeSp));
        var haswellFlags = Node("x", Haswell).Cpu!.Flags;
        Assert.Contains("aperfmperf", haswellFlags.Except(Node("x", BroadwellEp).Cpu!.Flags));

        var toBroadwell = advisor.Check(Vm("host.conf", node: "hsw"), "bdw").Reason;
        Assert.StartsWith("host CPU differs: bdw lacks erms, ", toBroadwell, StringComparison.Ordinal);
        Assert.DoesNotContain("aperfmperf", toBroadwell, StringComparison.Ordinal);
        var toHaswell = advisor.Check(Vm("host.conf", node: "sky"), "hsw").Reason;
        Assert.StartsWith("host CPU differs: hsw lacks avx512", toHaswell, StringComparison.Ordinal);
        Assert.DoesNotContain("aperfmperf", toHaswell, StringComparison.Ordinal);
    }

    [Fact]
    public void A_target_that_was_not_read_cannot_be_answered()
    {
        var advisor = Advisor(Node("hsw", Haswell), NodeFacts.Unreadable("down", "connection refused", FactsSource.Ssh));

        var answer = advisor.Check(Vm("x86-64-v2-AES.conf", node: "hsw"), "down");

        Assert.Null(answer.Allowed);
        Assert.Contains("connection refused", answer.Reason, StringComparison.Ordinal);
    }
}
