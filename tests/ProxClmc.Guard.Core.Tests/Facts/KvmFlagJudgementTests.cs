using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Facts;
using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.Core.Tests.Cpu;

namespace ProxClmc.Guard.Core.Tests.Facts;

/// <summary>
/// Judging a node from cpuinfo sharpened by Proxmox's KVM flag list (<c>/cluster/qemu/cpu-flags?accel=kvm</c>). The
/// list for kvmhost is what pvestatd would broadcast on the build machine: the <c>host</c> expansion QEMU 7.2.22 gave
/// under its KVM (the recorded QMP answer), in which pni and sse4.1 are missing though cpuinfo shows them.
/// </summary>
public sealed class KvmFlagJudgementTests
{
    private static readonly CpuCatalog Catalog = CpuCatalog.Default;

    /// <summary>Every QEMU flag name the catalog knows stands in for the answering node's recognised flags.</summary>
    private static IEnumerable<string> Recognised => Catalog.QemuFlags.Select(f => f.CanonicalName).Distinct(StringComparer.Ordinal);

    private static List<KvmFlagEntry> Entries(string node, IEnumerable<string> gives, IEnumerable<string>? universe = null)
    {
        var given = gives.Select(QemuCpuAnswer.Canonical).ToHashSet(StringComparer.Ordinal);
        return (universe ?? Recognised).Append("nested-virt")
            .Select(name => new KvmFlagEntry(name, given.Contains(QemuCpuAnswer.Canonical(name)) ? [node] : []))
            .ToList();
    }

    private static NodeFacts WithList(NodeFacts facts, IReadOnlyList<KvmFlagEntry> entries) =>
        facts with { KvmFlags = KvmFlagList.ForNode(facts.Node, entries, facts.Cpu!.Flags, Catalog.QemuFlags, "test") };

    private static CpuRequirement Model(string name)
    {
        Assert.True(Catalog.TryGetModel(name, out var model), name);
        return CpuRequirement.FromModel(model);
    }

    [Fact]
    public void A_flag_cpuinfo_shows_but_KVM_does_not_give_is_missing()
    {
        var sandbox = NodeCapabilityTests.Node("kvmhost", "LOCAL-sandbox-amd-epyc-generic-kvm-guest.txt");
        var facts = WithList(sandbox, Entries("kvmhost", QmpAnswerParserTests.RecordedAnswer().HostFeatures));

        var node = NodeCapability.Compute(facts, Catalog);
        var kvm64 = node.Check(Model("kvm64"));

        Assert.Contains("pni", sandbox.Cpu!.Flags);
        Assert.Contains("pni", facts.KvmFlags!.MaskedCpuinfoFlags);
        Assert.Equal("cpuinfo+kvm-flags", facts.JudgedBy);
        Assert.Equal(SupportState.Unsupported, kvm64.State);
        Assert.Equal(["pni"], kvm64.MissingFlags);
        Assert.Equal("cpuinfo+kvm-flags", kvm64.JudgedBy);

        // The same answer QEMU itself gives on that host (QemuJudgementTests); cpuinfo alone says x86-64-v4.
        Assert.Equal(CpuLevel.None, node.Level);
        Assert.Equal(CpuLevel.V4, NodeCapability.Compute(sandbox, Catalog).Level);
    }

    [Fact]
    public void A_node_in_no_supported_on_list_has_reported_nothing_and_keeps_the_cpuinfo_answer()
    {
        var sandbox = NodeCapabilityTests.Node("kvmhost", "LOCAL-sandbox-amd-epyc-generic-kvm-guest.txt");
        var entries = Entries("other-node", QmpAnswerParserTests.RecordedAnswer().HostFeatures);

        var list = KvmFlagList.ForNode("kvmhost", entries, sandbox.Cpu!.Flags, Catalog.QemuFlags, "test");

        Assert.Null(list);
        Assert.Equal("cpuinfo", (sandbox with { KvmFlags = list }).JudgedBy);
    }

    [Fact]
    public void The_list_never_gives_a_flag_cpuinfo_lacks()
    {
        // An Ivy Bridge has no avx2; a list claiming KVM gives it (a stale broadcast) does not make Haswell runnable.
        var ivy = NodeCapabilityTests.Node("ivy", "intel-xeon-e5-2650v2-ivybridge.txt");
        var facts = WithList(ivy, Entries("ivy", Recognised));

        var haswell = NodeCapability.Compute(facts, Catalog).Check(Model("Haswell"));

        Assert.Equal(SupportState.Unsupported, haswell.State);
        Assert.Contains("avx2", haswell.MissingFlags);
        Assert.Empty(facts.KvmFlags!.MaskedCpuinfoFlags);
    }

    [Fact]
    public void Features_cpuinfo_cannot_show_are_confirmed_or_refused_where_the_list_names_them()
    {
        // The newest model this Sapphire Rapids host runs from cpuinfo only "unverified": it needs bits Linux never shows.
        var spr = NodeCapabilityTests.Node("spr", "intel-xeon-platinum-8480plus-sapphirerapids.txt");
        var model = NodeCapability.Compute(spr, Catalog).SupportedNamedModels
            .Select(CpuRequirement.FromModel)
            .First(m => m.NotCheckable.Count > 0);
        var hidden = model.NotCheckable;
        var cpuinfoGiven = Catalog.QemuFlags.Where(f => f.CpuinfoFlags.Count > 0 && f.CpuinfoFlags.All(spr.Cpu!.Flags.Contains)).Select(f => f.QemuName).ToList();

        var byCpuinfo = NodeCapability.Compute(spr, Catalog).Check(model);
        var confirmed = NodeCapability.Compute(WithList(spr, Entries("spr", cpuinfoGiven.Concat(hidden))), Catalog).Check(model);
        var refused = NodeCapability.Compute(WithList(spr, Entries("spr", cpuinfoGiven.Concat(hidden.Skip(1)))), Catalog).Check(model);
        var unnamed = NodeCapability.Compute(WithList(spr, Entries("spr", cpuinfoGiven, Recognised.Except(hidden.Select(QemuCpuAnswer.Canonical)))), Catalog).Check(model);

        Assert.Equal(SupportState.SupportedUnverified, byCpuinfo.State);
        Assert.Equal(hidden, byCpuinfo.Unverified);
        Assert.Equal(SupportState.Supported, confirmed.State);
        Assert.Empty(confirmed.Unverified);
        Assert.Equal(SupportState.Unsupported, refused.State);
        Assert.Equal([hidden[0]], refused.MissingFlags);
        Assert.Equal(SupportState.SupportedUnverified, unnamed.State);
        Assert.Equal(hidden, unnamed.Unverified);
    }

    [Fact]
    public void Nodes_with_the_same_cpuinfo_but_different_lists_are_judged_apart()
    {
        var sandbox = NodeCapabilityTests.Node("a", "LOCAL-sandbox-amd-epyc-generic-kvm-guest.txt");
        var masked = WithList(sandbox, Entries("a", QmpAnswerParserTests.RecordedAnswer().HostFeatures));
        var plain = sandbox with { Node = "b" };

        var baseline = ClusterBaseline.Compute([masked, plain], Catalog, new GuardPolicy());

        Assert.Equal(CpuLevel.None, baseline.Nodes.Single(n => n.Node == "a").Level);
        Assert.Equal(CpuLevel.V4, baseline.Nodes.Single(n => n.Node == "b").Level);
    }
}
