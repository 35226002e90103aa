using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Facts;

namespace ProxClmc.Guard.Core.Tests.Cpu;

public sealed class NodeCapabilityTests
{
    private static readonly CpuCatalog Catalog = CpuCatalog.Default;

    internal static NodeFacts Node(string name, string corpusFile) =>
        NodeFacts.Readable(name, CpuInfoParser.Parse(CpuInfoParserTests.Corpus(corpusFile), corpusFile).GetValueOrThrow(), FactsSource.Snapshot);

    private static CpuRequirement Model(string name)
    {
        Assert.True(Catalog.TryGetModel(name, out var model), name);
        return CpuRequirement.FromModel(model);
    }

    [Fact]
    public void A_Haswell_EP_without_TSX_runs_v3_and_Haswell_noTSX_IBRS_at_best()
    {
        // This Haswell-EP's microcode disabled TSX (no hle/rtm), and the kernel shows ibrs+ibpb (QEMU's spec-ctrl).
        var node = NodeCapability.Compute(Node("pve1", "intel-xeon-e5-2680v3-haswell.txt"), Catalog);

        Assert.Equal(CpuLevel.V3, node.Level);
        Assert.Equal("Haswell-noTSX-IBRS", node.BestNamedModel?.Name);
        var haswell = node.Check(Model("Haswell"));
        Assert.Equal(SupportState.Unsupported, haswell.State);
        Assert.Equal(["hle", "rtm"], haswell.MissingFlags);
        Assert.False(haswell.VendorMismatch);
        Assert.Equal(SupportState.Supported, node.Check(Model("Haswell-noTSX")).State);
        Assert.DoesNotContain(node.SupportedNamedModels, m => m.Name.StartsWith("Broadwell", StringComparison.Ordinal));
        Assert.All(node.SupportedNamedModels, m => Assert.Equal("GenuineIntel", m.Vendor));
    }

    [Fact]
    public void Without_aes_a_Haswell_is_only_x86_64_v2_for_Proxmox()
    {
        var node = NodeCapability.Compute(Node("pve1", "intel-xeon-e5-2680v3-haswell-noaes-SYNTHETIC.txt"), Catalog);

        Assert.Equal(CpuLevel.V2, node.Level);
        Assert.Equal(["aes"], node.Check(Model("x86-64-v3")).MissingFlags);
        Assert.Equal(["aes"], node.Check(Model("Haswell-noTSX-IBRS")).MissingFlags);
    }

    [Fact]
    public void A_guest_with_QEMUs_qemu64_cannot_run_kvm64_and_gets_qemu64()
    {
        var node = NodeCapability.Compute(Node("nested", "qemu-virtual-cpu-2.5plus-ohai.txt"), Catalog);

        Assert.Equal(CpuLevel.Qemu64, node.Level);
        Assert.Equal(["vme"], node.Check(Model("kvm64")).MissingFlags);
        Assert.True(node.Check(CpuRequirement.FromModel(Catalog.Qemu64)).CanRun);
    }

    [Fact]
    public void A_32_bit_kernel_runs_no_64_bit_CPU_type_and_says_why()
    {
        var node = NodeCapability.Compute(Node("old", "intel-xeon-5130-woodcrest-i386kernel.txt"), Catalog);

        Assert.Equal(CpuLevel.None, node.Level);
        var kvm64 = node.Check(Model("kvm64"));
        Assert.Equal(SupportState.Unsupported, kvm64.State);
        Assert.Contains("32-bit", kvm64.Reason);

        // 32-bit models (coreduo, n270, ...) would run, but are never offered as a node's named model.
        Assert.True(node.Check(Model("coreduo")).CanRun);
        Assert.Null(node.BestNamedModel);
        Assert.Empty(node.SupportedNamedModels);
    }

    [Fact]
    public void Features_cpuinfo_cannot_show_make_the_answer_unverified_and_are_listed_even_when_unsupported()
    {
        var zen4 = NodeCapability.Compute(Node("zen4", "amd-epyc-9654-zen4.txt"), Catalog);

        // EPYC-Milan-v2 needs amd-psfd, lfence-always-serializing, ... which Linux never shows.
        var milanV2 = zen4.Check(Model("EPYC-Milan-v2"));
        Assert.Equal(SupportState.SupportedUnverified, milanV2.State);
        Assert.True(milanV2.CanRun);
        Assert.Contains("amd-psfd", milanV2.Unverified);
        Assert.Contains(zen4.SupportedNamedModels, m => m.Name == "EPYC-Milan-v2");

        // Verified models rank before unverified ones: the recommendation is EPYC-Milan, not the unverified v2.
        Assert.Equal("EPYC-Milan", zen4.BestNamedModel?.Name);

        var genoa = zen4.Check(Model("EPYC-Genoa"));
        Assert.Equal(SupportState.Unsupported, genoa.State);
        Assert.Equal(["ibrs_enhanced"], genoa.MissingFlags);
        Assert.Contains("amd-psfd", genoa.Unverified);
    }

    [Fact]
    public void Every_check_on_every_corpus_node_is_unverified_exactly_when_it_runs_and_needs_uncheckable_features()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Testing.RepoPaths.Corpus, "cpuinfo"), "*.txt"))
        {
            var parsed = CpuInfoParser.Parse(File.ReadAllText(file), file);
            if (!parsed.IsSuccess)
            {
                continue;
            }

            var node = NodeCapability.Compute(NodeFacts.Readable(Path.GetFileName(file), parsed.Value, FactsSource.Snapshot), Catalog);
            foreach (var model in Catalog.Models.Where(m => m.Vendor == parsed.Value.VendorId || m.Vendor is null))
            {
                var check = node.Check(CpuRequirement.FromModel(model));
                var runs = check.MissingFlags.Count == 0 && check.PresentBugs.Count == 0 && check.Reason is null;
                Assert.Equal(runs, check.CanRun);
                Assert.Equal(runs && model.NotCheckable.Count > 0, check.State == SupportState.SupportedUnverified);
                Assert.Equal(model.NotCheckable, check.Unverified);
            }
        }
    }

    [Fact]
    public void A_present_bug_makes_a_model_unsupported()
    {
        // Kaby Lake R is affected by Meltdown and MDS; Cascadelake-Server-noTSX requires both to be absent.
        var node = NodeCapability.Compute(Node("laptop", "intel-core-i7-8650u-kabylake-r.txt"), Catalog);
        var check = node.Check(Model("Cascadelake-Server-noTSX"));
        Assert.Equal(SupportState.Unsupported, check.State);
        Assert.Equal(["cpu_meltdown", "mds"], check.PresentBugs);
    }

    [Fact]
    public void QEMUs_own_answer_replaces_the_cpuinfo_judgement()
    {
        // A made-up answer for this Haswell-EP: QEMU offers Haswell but not Haswell-noTSX (say, avx2 masked by KVM).
        var facts = Node("pve1", "intel-xeon-e5-2680v3-haswell.txt") with
        {
            Qemu = new QemuCpuAnswer
            {
                Version = "7.2.22",
                Models = [new QemuModelAnswer("Haswell", []), new QemuModelAnswer("Haswell-noTSX", ["avx2"])],
                HostFeatures = ["avx2", "pni", "sse4.2"],
            },
        };
        var node = NodeCapability.Compute(facts, Catalog);

        var haswell = node.Check(Model("Haswell"));
        Assert.Equal(SupportState.Supported, haswell.State);
        Assert.True(haswell.AnsweredByQemu);

        var noTsx = node.Check(Model("Haswell-noTSX"));
        Assert.Equal(SupportState.Unsupported, noTsx.State);
        Assert.Equal(["avx2"], noTsx.MissingFlags);

        // A model this QEMU does not list cannot start on the node, whatever cpuinfo says.
        var ibrs = node.Check(Model("Haswell-IBRS"));
        Assert.True(ibrs.AnsweredByQemu);
        Assert.Equal(SupportState.Unsupported, ibrs.State);
        Assert.Equal("QEMU 7.2.22 on this node does not know the model Haswell-IBRS", ibrs.Reason);

        // A +flag on top of the model must be in the host expansion.
        Assert.True(Catalog.TryGetModel("Haswell", out var model));
        var withExtra = CpuRequirement.FromModel(model).WithQemuForm(model, [("avx512f", true)]);
        Assert.Equal(["avx512f"], node.Check(withExtra).MissingFlags);
    }

    [Fact]
    public void Named_models_of_the_other_vendor_do_not_run_unless_the_vendor_check_is_off()
    {
        var node = NodeCapability.Compute(Node("pve1", "intel-xeon-e5-2680v3-haswell.txt"), Catalog);

        var strict = node.Check(Model("Opteron_G1"));
        Assert.True(strict.VendorMismatch);
        Assert.Equal(SupportState.Unsupported, strict.State);
        Assert.Empty(strict.MissingFlags);

        var relaxed = node.Check(Model("Opteron_G1"), strictVendor: false);
        Assert.False(relaxed.VendorMismatch);
        Assert.True(relaxed.CanRun);
    }

    [Fact]
    public void API_facts_without_a_known_vendor_leave_the_vendor_unverified()
    {
        var haswell = CpuInfoParser.Parse(CpuInfoParserTests.Corpus("intel-xeon-e5-2680v3-haswell.txt")).GetValueOrThrow();
        var api = CpuInfoParser.FromApi("Common KVM processor", string.Join(' ', haswell.Flags), "pve1 (API)").GetValueOrThrow();
        var node = NodeCapability.Compute(NodeFacts.Readable("pve1", api, FactsSource.Api), Catalog);

        Assert.Equal(CpuLevel.V3, node.Level);
        Assert.Null(node.BestNamedModel);
        var check = node.Check(Model("Haswell-noTSX"));
        Assert.Equal(SupportState.SupportedUnverified, check.State);
        Assert.Contains(check.Unverified, u => u.StartsWith("vendor", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unreadable_node_runs_nothing_and_lists_no_missing_flags()
    {
        var node = NodeCapability.Compute(NodeFacts.Unreadable("pve3", "ssh: connection refused", FactsSource.Ssh), Catalog);

        Assert.False(node.IsReadable);
        Assert.Equal(CpuLevel.None, node.Level);
        Assert.Null(node.BestNamedModel);
        var check = node.Check(Model("kvm64"));
        Assert.Equal(SupportState.Unsupported, check.State);
        Assert.Empty(check.MissingFlags);
        Assert.Contains("connection refused", check.Reason);
    }

    [Fact]
    public void Model_checks_are_remembered_per_node()
    {
        var node = NodeCapability.Compute(Node("pve1", "intel-xeon-e5-2680v3-haswell.txt"), Catalog);
        Assert.Same(node.Check(Model("Haswell")), node.Check(Model("Haswell")));
        Assert.NotSame(node.Check(Model("Haswell"), strictVendor: true), node.Check(Model("Haswell"), strictVendor: false));

        // A copy with other facts must not answer from the first node's memory.
        var other = node with { Facts = Node("pve2", "intel-xeon-e5-2680-sandybridge-ep.txt") };
        Assert.Equal(SupportState.Unsupported, other.Check(Model("x86-64-v3")).State);
        Assert.Equal(SupportState.Supported, node.Check(Model("x86-64-v3")).State);
    }

    [Fact]
    public void Ranking_puts_verified_then_larger_feature_sets_then_plain_names_first()
    {
        Assert.True(Catalog.TryGetModel("Haswell-noTSX-IBRS", out var alias));
        Assert.True(Catalog.TryGetModel("Haswell-v4", out var versioned));
        Assert.True(Catalog.TryGetModel("Haswell-noTSX", out var smaller));
        Assert.True(Catalog.TryGetModel("SapphireRapids", out var unverified));

        var ranked = NodeCapability.Rank([(smaller, true), (versioned, true), (unverified, false), (alias, true)]);

        Assert.Equal(["Haswell-noTSX-IBRS", "Haswell-v4", "Haswell-noTSX", "SapphireRapids"], ranked.Select(m => m.Name));
    }
}
