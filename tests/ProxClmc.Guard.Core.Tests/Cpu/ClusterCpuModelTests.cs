using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.Core.Tests.Compliance;

namespace ProxClmc.Guard.Core.Tests.Cpu;

/// <summary>The richest CPU every node runs, as a cpu-models.conf section, judged the way scan judges a guest.</summary>
public sealed class ClusterCpuModelTests
{
    // The shared features of an EPYC 9654 (Zen 4) and a Xeon Platinum 8480+ (Sapphire Rapids) that x86-64-v4 drops.
    private static readonly string[] ZenAndSapphireShared =
    [
        "sha-ni", "vaes", "vpclmulqdq", "gfni", "avx512vnni", "avx512-bf16", "avx512vbmi", "avx512vbmi2", "avx512bitalg",
        "avx512-vpopcntdq", "avx512ifma", "rdpid", "rdseed", "adx", "clwb", "clflushopt",
    ];

    private static ClusterBaseline ZenAndSapphire() =>
        ComplianceFixtures.Nodes(ComplianceFixtures.Node("zen4", "amd-epyc-9654-zen4.txt"), ComplianceFixtures.Node("spr", ComplianceFixtures.SapphireRapids));

    private static ClusterBaseline ThreeIntel() =>
        ComplianceFixtures.Nodes(
            ComplianceFixtures.Node("hsw", ComplianceFixtures.Haswell),
            ComplianceFixtures.Node("bdw", "intel-xeon-e5-2690v4-broadwell.txt"),
            ComplianceFixtures.Node("sky", ComplianceFixtures.SkylakeSp));

    [Fact]
    public void Zen4_and_Sapphire_Rapids_get_qemu64_with_every_shared_feature_over_x86_64_v4()
    {
        var cluster = ZenAndSapphire();
        var model = ClusterCpuModel.Build("cluster", cluster, CpuCatalog.Default, withPhysBits: false);

        Assert.Equal("x86-64-v4", model.OverLevel);
        Assert.Equal("qemu64", model.ReportedModel);
        var flags = model.Flags.Select(f => f.Name).ToList();
        Assert.All(ZenAndSapphireShared, f => Assert.Contains(f, flags));
        Assert.All(model.Flags, f => Assert.Equal(["spr", "zen4"], f.Sources.Keys));
        Assert.All(model.Flags, f => Assert.All(f.Sources.Values, s => Assert.Equal("cpuinfo", s)));
        Assert.Equal(["zen4", "spr"], model.UnverifiedNodes);
        Assert.Contains(model.Gains, g => g.Group == "crypto and hashing" && g.Features.Contains("sha-ni") && g.Features.Contains("vaes"));
        Assert.DoesNotContain(model.Gains.SelectMany(g => g.Features), f => f is "avx512f" or "avx2" or "aes");

        // QEMU refuses to live-migrate a VM with invtsc, and KVM provides x2apic by itself: neither belongs in the model.
        Assert.DoesNotContain("invtsc", flags);
        Assert.DoesNotContain("x2apic", flags);
    }

    [Fact]
    public void Every_listed_flag_is_present_on_every_node_and_the_guest_is_ok_everywhere()
    {
        foreach (var cluster in new[] { ZenAndSapphire(), ThreeIntel() })
        {
            var model = ClusterCpuModel.Build("cluster", cluster, CpuCatalog.Default, withPhysBits: false);
            foreach (var flag in model.Flags)
            {
                var mapping = CpuCatalog.Default.MapQemuFlag(flag.Name)!;
                Assert.All(cluster.Nodes, n => Assert.All(mapping.CpuinfoFlags, c => Assert.Contains(c, n.Facts.Cpu!.Flags)));
            }

            var verdict = model.Judge(cluster, CpuCatalog.Default, new GuardPolicy());
            Assert.Equal(Verdict.Ok, verdict.Verdict);
            Assert.All(verdict.Fits, f => Assert.True(f.CanRun));
        }
    }

    [Fact]
    public void Three_Intel_nodes_get_their_best_verified_named_model_as_reported_model()
    {
        var cluster = ThreeIntel();
        var model = ClusterCpuModel.Build("intel3", cluster, CpuCatalog.Default, withPhysBits: true);

        Assert.Equal(cluster.NamedModel!.Name, model.ReportedModel);
        Assert.Equal(cluster.MinPhysBits, model.PhysBits);
        Assert.Equal(
            $"cpu-model: intel3\n\tflags {model.FlagsValue}\n\tphys-bits {cluster.MinPhysBits}\n\treported-model {model.ReportedModel}\n\n",
            model.Section);
    }

    [Fact]
    public void The_printed_section_parses_back_as_Proxmox_reads_it()
    {
        var cluster = ZenAndSapphire();
        var model = ClusterCpuModel.Build("cluster", cluster, CpuCatalog.Default, withPhysBits: true);
        var parsed = CustomCpuModels.Parse(model.Section).GetValueOrThrow();
        var vm = new GuestConfig { VmId = 100, Node = "zen4", Cpu = "custom-cluster" };

        var verdict = new ComplianceEvaluator(cluster, CpuCatalog.Default, new GuardPolicy(), parsed).Evaluate(vm);

        Assert.Equal(Verdict.Ok, verdict.Verdict);
        Assert.True(parsed.TryGet("cluster", out var back));
        Assert.Equal(model.Flags.Select(f => f.Name), back.Flags.Select(f => f.Name));
        Assert.Equal("qemu64", back.ReportedModel);
    }

    [Theory]
    [InlineData("custom-best", "best")]
    [InlineData("best_2", "best_2")]
    [InlineData("1best", null)]
    [InlineData("a", null)]
    [InlineData("bad name", null)]
    public void Names_follow_Proxmox_rules(string given, string? expected)
    {
        Assert.Equal(expected, ClusterCpuModel.NormalizeName(given, out var error));
        Assert.Equal(expected is null, error is not null);
    }
}
