using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Facts;
using ProxClmc.Guard.Core.Tests.Cpu;

namespace ProxClmc.Guard.Core.Tests.Facts;

/// <summary>
/// Judging a node from QEMU's answer: the build machine's own cpuinfo (tests/corpus/cpuinfo/LOCAL-sandbox-...) shows
/// sse4_2, avx512f and more, yet its KVM hides pni, so QEMU refuses even kvm64. cpuinfo calls it x86-64-v4.
/// </summary>
public sealed class QemuJudgementTests
{
    private static readonly CpuCatalog Catalog = CpuCatalog.Default;

    private static NodeFacts Sandbox(QemuCpuAnswer? qemu) =>
        NodeCapabilityTests.Node("kvmhost", "LOCAL-sandbox-amd-epyc-generic-kvm-guest.txt") with { Qemu = qemu };

    private static CpuModel Model(string name)
    {
        Assert.True(Catalog.TryGetModel(name, out var model), name);
        return model;
    }

    [Fact]
    public void Cpuinfo_says_x86_64_v4_where_QEMU_cannot_even_run_kvm64()
    {
        var byCpuinfo = NodeCapability.Compute(Sandbox(null), Catalog);
        var byQemu = NodeCapability.Compute(Sandbox(QmpAnswerParserTests.RecordedAnswer()), Catalog);

        Assert.Equal(CpuLevel.V4, byCpuinfo.Level);
        Assert.Equal(CpuLevel.None, byQemu.Level);
        Assert.Equal("qemu", byQemu.Facts.JudgedBy);
        var kvm64 = byQemu.Check(CpuRequirement.FromModel(Model("kvm64")));
        Assert.Equal(SupportState.Unsupported, kvm64.State);
        Assert.Equal(["pni"], kvm64.MissingFlags);
        Assert.True(kvm64.AnsweredByQemu);
        Assert.Empty(byQemu.SupportedNamedModels);
    }

    [Fact]
    public void A_minus_flag_removes_an_unavailable_feature_and_a_plus_flag_must_be_in_the_host_expansion()
    {
        var node = NodeCapability.Compute(Sandbox(QmpAnswerParserTests.RecordedAnswer()), Catalog);
        var qemu64 = Model("qemu64");
        var baseOnly = new CpuRequirement { Description = "qemu64", Flags = qemu64.RequiredFlags };

        var withoutPni = node.Check(baseOnly.WithQemuForm(qemu64, [("pni", false)]));
        Assert.Equal(SupportState.Supported, withoutPni.State);

        var addsSsse3 = node.Check(baseOnly.WithQemuForm(qemu64, [("pni", false), ("ssse3", true)]));
        Assert.Equal(["ssse3"], addsSsse3.MissingFlags);

        // lahf_lm is offered by this KVM (the expansion spells it lahf-lm and lahf_lm).
        var addsLahf = node.Check(baseOnly.WithQemuForm(qemu64, [("pni", false), ("lahf_lm", true)]));
        Assert.True(addsLahf.CanRun);

        // A level is qemu64 plus flags: x86-64-v2 lacks pni as a +flag and as qemu64's own feature, named once.
        var v2 = node.Check(CpuRequirement.FromModel(Model("x86-64-v2")));
        Assert.Equal(["pni", "popcnt", "sse4.1", "sse4.2", "ssse3"], v2.MissingFlags);
    }

    [Fact]
    public void Unverified_from_cpuinfo_becomes_verified_or_refused_from_QEMU()
    {
        // The Sapphire Rapids node: cpuinfo cannot show the bits Cascadelake-Server-v6 needs (fb-clear, psdp-no,
        // sbdr-ssdp-no: IA32_ARCH_CAPABILITIES), so it is "unverified".
        var spr = NodeCapabilityTests.Node("spr", "intel-xeon-platinum-8480plus-sapphirerapids.txt");
        var model = Model("Cascadelake-Server-v6");
        var byCpuinfo = NodeCapability.Compute(spr, Catalog).Check(CpuRequirement.FromModel(model));
        Assert.Equal(SupportState.SupportedUnverified, byCpuinfo.State);

        // Made-up answers (no such machine here): QEMU 10.0 offering the model, and one missing a feature.
        QemuCpuAnswer Answer(params string[] unavailable) => new()
        {
            Version = "10.0.2",
            Models = [new QemuModelAnswer("Cascadelake-Server-v6", unavailable)],
            HostFeatures = ["avx512f"],
        };
        var verified = NodeCapability.Compute(spr with { Qemu = Answer() }, Catalog).Check(CpuRequirement.FromModel(model));
        Assert.Equal(SupportState.Supported, verified.State);
        Assert.Empty(verified.Unverified);

        var refused = NodeCapability.Compute(spr with { Qemu = Answer("psdp-no") }, Catalog).Check(CpuRequirement.FromModel(model));
        Assert.Equal(SupportState.Unsupported, refused.State);
        Assert.Equal(["psdp-no"], refused.MissingFlags);
    }

    [Fact]
    public void Proxmox_levels_are_started_as_kvm64_or_qemu64_plus_flags()
    {
        Assert.Equal("kvm64,+lahf_lm,+sep", ProxmoxCpuForms.CpuArgument(Model("kvm64")));
        Assert.Equal("qemu64,+popcnt,+pni,+sse4.1,+sse4.2,+ssse3,+aes", ProxmoxCpuForms.CpuArgument(Model("x86-64-v2-AES")));
        Assert.Equal("Haswell-noTSX", ProxmoxCpuForms.CpuArgument(Model("Haswell-noTSX")));
    }

    [Fact]
    public void Two_nodes_compare_their_host_expansions_in_every_spelling()
    {
        var a = new QemuCpuAnswer { Version = "7.2.22", Models = [], HostFeatures = ["lahf_lm", "lahf-lm", "sse4.1", "avx2"] };
        var b = new QemuCpuAnswer { Version = "7.2.22", Models = [], HostFeatures = ["lahf-lm", "sse4_1"] };

        Assert.False(a.SameHostFeatures(b));
        Assert.Equal(["avx2"], a.HostFeaturesMissingFrom(b));
        Assert.Empty(b.HostFeaturesMissingFrom(a));
    }
}
