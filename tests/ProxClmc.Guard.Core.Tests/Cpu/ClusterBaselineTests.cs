using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Cpu;

/// <summary>Given these nodes' /proc/cpuinfo (real files from the corpus), the cluster baseline is ...</summary>
public sealed class ClusterBaselineTests
{
    private static readonly CpuCatalog Catalog = CpuCatalog.Default;

    private static NodeFacts Node(string name, string file) => NodeCapabilityTests.Node(name, file);

    private static ClusterBaseline Baseline(GuardPolicy? policy, params NodeFacts[] nodes) =>
        ClusterBaseline.Compute(nodes, Catalog, policy ?? new GuardPolicy());

    [Fact]
    public void Mixed_Intel_generations_share_v3_and_Haswell_noTSX_IBRS()
    {
        // Haswell-EP without TSX, Broadwell-EP, Skylake-SP: v3 is the lowest level; no node lacks ibrs/ibpb, and the
        // Haswell node lacks hle/rtm, so the best model all three run is Haswell-noTSX-IBRS.
        var baseline = Baseline(null,
            Node("pve1", "intel-xeon-e5-2680v3-haswell.txt"),
            Node("pve2", "intel-xeon-e5-2690v4-broadwell.txt"),
            Node("pve3", "intel-xeon-gold-6132-skylake-sp.txt"));

        Assert.Equal(CpuLevel.V3, baseline.Level);
        Assert.Equal("x86-64-v3", baseline.ClusterCpuType);
        Assert.Equal("Haswell-noTSX-IBRS", baseline.NamedModel?.Name);
        Assert.Equal("GenuineIntel", baseline.SharedVendor);
        Assert.False(baseline.VendorMix);
        Assert.False(baseline.IsPartial);
        Assert.Equal(46, baseline.MinPhysBits);
        Assert.Equal([CpuLevel.V3, CpuLevel.V3, CpuLevel.V4], baseline.Nodes.Select(n => n.Level));
        Assert.Empty(baseline.Warnings);
    }

    [Fact]
    public void One_Haswell_without_aes_pulls_the_cluster_down_to_v2()
    {
        var baseline = Baseline(null,
            Node("pve1", "intel-xeon-e5-2680v3-haswell.txt"),
            Node("pve2", "intel-xeon-e5-2680v3-haswell-noaes-SYNTHETIC.txt"));

        Assert.Equal(CpuLevel.V2, baseline.Level);
        Assert.Equal("x86-64-v2", baseline.ClusterCpuType);

        // Westmere and later need aes; Nehalem-IBRS is the best model both nodes run.
        Assert.Equal("Nehalem-IBRS", baseline.NamedModel?.Name);
    }

    [Fact]
    public void Older_generations_set_the_level_and_the_narrowest_address_width()
    {
        var baseline = Baseline(null,
            Node("new", "intel-xeon-gold-6230-cascadelake.txt"),
            Node("old", "intel-xeon-e5-2680-sandybridge-ep.txt"));

        Assert.Equal(CpuLevel.V2Aes, baseline.Level);
        Assert.StartsWith("SandyBridge", baseline.NamedModel?.Name);
        Assert.Equal(46, baseline.MinPhysBits);

        var withDesktop = Baseline(null,
            Node("new", "intel-xeon-gold-6230-cascadelake.txt"),
            Node("desk", "intel-core-i7-4500u-haswell.txt"));
        Assert.Equal(39, withDesktop.MinPhysBits);
    }

    [Fact]
    public void Intel_and_AMD_nodes_get_no_named_model_and_a_warning()
    {
        var baseline = Baseline(null,
            Node("intel1", "intel-xeon-e5-2680v3-haswell.txt"),
            Node("amd1", "amd-epyc-7451-zen1-naples.txt"));

        Assert.True(baseline.VendorMix);
        Assert.Null(baseline.NamedModel);
        Assert.Null(baseline.SharedVendor);
        Assert.Equal(CpuLevel.V3, baseline.Level);
        var warning = Assert.Single(baseline.Warnings);
        Assert.Contains("different vendors", warning);
        Assert.Contains("GenuineIntel: intel1", warning);
        Assert.Contains("AuthenticAMD: amd1", warning);
    }

    [Fact]
    public void An_unreadable_node_makes_the_baseline_partial()
    {
        var baseline = Baseline(null,
            Node("pve1", "intel-xeon-e5-2680v3-haswell.txt"),
            NodeFacts.Unreadable("pve3", "ssh: connection refused", FactsSource.Ssh));

        Assert.True(baseline.IsPartial);
        Assert.Equal(["pve3"], baseline.UnreadableNodes);
        Assert.Equal(CpuLevel.V3, baseline.Level);
        Assert.Equal("Haswell-noTSX-IBRS", baseline.NamedModel?.Name);
        Assert.Equal(2, baseline.Nodes.Count);
        Assert.Contains(baseline.Warnings, w => w.Contains("pve3", StringComparison.Ordinal) && w.Contains("connection refused", StringComparison.Ordinal));
    }

    [Fact]
    public void No_readable_node_means_no_baseline()
    {
        var baseline = Baseline(null, NodeFacts.Unreadable("pve1", "timeout", FactsSource.Ssh));

        Assert.Equal(CpuLevel.None, baseline.Level);
        Assert.Null(baseline.NamedModel);
        Assert.Null(baseline.MinPhysBits);
        Assert.Equal("none", baseline.ClusterCpuType);
        Assert.Contains(baseline.Warnings, w => w.StartsWith("No node could be read", StringComparison.Ordinal));
    }

    [Fact]
    public void A_node_below_kvm64_is_named_with_the_reason()
    {
        var baseline = Baseline(null,
            Node("pve1", "intel-xeon-e5-2680v3-haswell.txt"),
            Node("nested", "qemu-virtual-cpu-2.5plus-hwloc.txt"));

        Assert.Equal(CpuLevel.Qemu64, baseline.Level);
        Assert.Equal("qemu64", baseline.ClusterCpuType);
        Assert.Contains(baseline.Warnings, w => w.StartsWith("Node nested cannot run kvm64", StringComparison.Ordinal) && w.Contains("missing vme", StringComparison.Ordinal));
    }

    [Fact]
    public void A_32_bit_kernel_node_gives_level_none_and_says_why()
    {
        var baseline = Baseline(null,
            Node("pve1", "intel-xeon-e5-2680v3-haswell.txt"),
            Node("old", "intel-xeon-netburst-3.00ghz-i386kernel.txt"));

        Assert.Equal(CpuLevel.None, baseline.Level);
        Assert.Null(baseline.NamedModel);
        Assert.Contains(baseline.Warnings, w => w.StartsWith("Node old cannot run kvm64", StringComparison.Ordinal) && w.Contains("32-bit", StringComparison.Ordinal));
    }

    [Fact]
    public void A_node_whose_processors_show_different_flags_is_warned_about()
    {
        // Two processors of different generations in one file, as a hypervisor that masks vCPUs unevenly shows them.
        var text = CpuInfoParserTests.Corpus("intel-xeon-e5-2680v3-haswell.txt").TrimEnd('\n') + "\n\n"
            + CpuInfoParserTests.Corpus("intel-xeon-e5-2680-sandybridge-ep.txt").Replace("processor\t: 0", "processor\t: 1", StringComparison.Ordinal);
        var cpu = CpuInfoParser.Parse(text, "odd").GetValueOrThrow();
        var baseline = Baseline(null, NodeFacts.Readable("odd", cpu, FactsSource.Snapshot));

        Assert.Equal(CpuLevel.V2Aes, baseline.Level);
        Assert.Contains("avx2", cpu.FlagsNotOnAllProcessors);
        Assert.Contains(baseline.Warnings, w => w.StartsWith("Node odd: its processors do not all show the same flags (", StringComparison.Ordinal));
    }

    [Fact]
    public void Cut_off_and_stale_facts_are_warned_about()
    {
        var stale = Node("pve2", "intel-xeon-e5-2680v3-haswell.txt") with
        {
            IsStale = true,
            CollectedAt = new DateTimeOffset(2026, 11, 20, 8, 30, 0, TimeSpan.Zero),
            Source = FactsSource.Cache,
        };
        var baseline = Baseline(null, Node("pve1", "intel-xeon-platinum-8260m-cascadelake.txt"), stale);

        Assert.Contains(baseline.Warnings, w => w.StartsWith("Node pve1: the file ends before", StringComparison.Ordinal));
        Assert.Contains(baseline.Warnings, w => w == "Node pve2 could not be read now; its last known facts from 2026-11-20 08:30 UTC stand in for it.");
    }

    [Fact]
    public void A_pinned_level_lists_the_nodes_that_cannot_run_it()
    {
        var baseline = Baseline(new GuardPolicy { Baseline = "x86-64-v3" },
            Node("pve1", "intel-xeon-e5-2680v3-haswell.txt"),
            Node("pve2", "intel-xeon-e5-2680-sandybridge-ep.txt"),
            NodeFacts.Unreadable("pve3", "timeout", FactsSource.Ssh));

        Assert.Equal("x86-64-v3", baseline.PinnedModel?.Name);
        Assert.Equal("x86-64-v3", baseline.ClusterCpuType);
        Assert.Equal(["pve2"], baseline.NodesBelowPin);
        Assert.Equal(CpuLevel.V2Aes, baseline.Level);
        Assert.Contains(baseline.Warnings, w => w == "Node pve2 cannot run the pinned baseline x86-64-v3: missing abm, avx2, bmi1, bmi2, f16c, fma, movbe.");
        Assert.Contains(baseline.Warnings, w => w.Contains("pve3 can run the pinned baseline x86-64-v3 is unknown", StringComparison.Ordinal));
    }

    [Fact]
    public void A_pinned_named_model_checks_vendor_and_flags()
    {
        var policy = new GuardPolicy { Baseline = "Skylake-Server-noTSX-IBRS" };
        var baseline = Baseline(policy,
            Node("intel", "intel-xeon-gold-6230-cascadelake.txt"),
            Node("hsw", "intel-xeon-e5-2680v3-haswell.txt"),
            Node("amd", "amd-epyc-9654-zen4.txt"));

        Assert.Equal("Skylake-Server-noTSX-IBRS", baseline.ClusterCpuType);
        Assert.Equal(["hsw", "amd"], baseline.NodesBelowPin);
        Assert.Contains(baseline.Warnings, w => w.StartsWith("Node amd cannot run the pinned baseline", StringComparison.Ordinal) && w.Contains("other CPU vendor", StringComparison.Ordinal));
    }

    [Fact]
    public void Pinning_Icelake_Client_pins_Icelake_Server_as_Proxmox_does()
    {
        var baseline = Baseline(new GuardPolicy { Baseline = "Icelake-Client" }, Node("pve1", "intel-xeon-gold-6326-icelake-sp-vmware.txt"));
        Assert.Equal("Icelake-Server", baseline.PinnedModel?.Name);
    }

    [Theory]
    [InlineData("Haswel", "")]
    [InlineData("x86-64-v1", "Proxmox has no x86-64-v1 model")]
    [InlineData("host", "cannot be a cluster baseline")]
    public void An_unknown_pinned_name_falls_back_to_the_computed_baseline_with_a_warning(string name, string hint)
    {
        var baseline = Baseline(new GuardPolicy { Baseline = name }, Node("pve1", "intel-xeon-e5-2680v3-haswell.txt"));

        Assert.Null(baseline.PinnedModel);
        Assert.Empty(baseline.NodesBelowPin);
        Assert.Equal("x86-64-v3", baseline.ClusterCpuType);
        var warning = Assert.Single(baseline.Warnings);
        Assert.StartsWith($"policy.baseline \"{name}\" is not a CPU model Proxmox knows", warning);
        Assert.Contains(hint, warning);
    }

    [Fact]
    public void Auto_in_any_case_is_not_a_pin()
    {
        var baseline = Baseline(new GuardPolicy { Baseline = "AUTO" }, Node("pve1", "intel-xeon-e5-2680v3-haswell.txt"));
        Assert.Null(baseline.PinnedModel);
        Assert.Empty(baseline.Warnings);
    }

    [Fact]
    public void Nodes_with_identical_CPUs_share_one_judgement_and_keep_their_own_names()
    {
        var baseline = Baseline(null,
            Node("pve1", "intel-xeon-e5-2680v3-haswell.txt"),
            Node("pve2", "intel-xeon-e5-2680v3-haswell.txt"),
            Node("pve3", "intel-xeon-e5-2680-sandybridge-ep.txt"));

        Assert.Equal(["pve1", "pve2", "pve3"], baseline.Nodes.Select(n => n.Node));
        Assert.Equal([CpuLevel.V3, CpuLevel.V3, CpuLevel.V2Aes], baseline.Nodes.Select(n => n.Level));
        Assert.True(Catalog.TryGetModel("Haswell-noTSX", out var model));
        var requirement = CpuRequirement.FromModel(model);
        Assert.Same(baseline.Nodes[0].Check(requirement), baseline.Nodes[1].Check(requirement));
        Assert.Equal(SupportState.Unsupported, baseline.Nodes[2].Check(requirement).State);
        Assert.StartsWith("SandyBridge", baseline.NamedModel?.Name);
    }

    [Fact]
    public void A_best_shared_model_that_cpuinfo_cannot_prove_is_said_to_be_unverified()
    {
        // With only the generic models and EPYC-Milan-v2 and later known (they need amd-psfd and other bits Linux never
        // shows), the best model for two Zen 4 nodes cannot be proven from /proc/cpuinfo.
        var rows = File.ReadAllText(RepoPaths.Combine("src", "ProxClmc.Guard.Core", "Catalog", CpuCatalog.CatalogTable)).Split('\n')
            .Where(l => l.StartsWith('#') || l.Split('\t') is [_, _, "-", ..] || l.StartsWith("EPYC-Milan-v", StringComparison.Ordinal) && !l.StartsWith("EPYC-Milan-v1", StringComparison.Ordinal));
        var catalog = CpuCatalog.Load(string.Join('\n', rows), File.ReadAllText(RepoPaths.Combine("src", "ProxClmc.Guard.Core", "Catalog", CpuCatalog.FlagMapTable)));
        var baseline = ClusterBaseline.Compute(
            [Node("zen4a", "amd-epyc-9654-zen4.txt"), Node("zen4b", "amd-epyc-9654-zen4.txt")],
            catalog,
            new GuardPolicy());

        Assert.StartsWith("EPYC-Milan-v", baseline.NamedModel?.Name);
        Assert.Equal(CpuLevel.V4, baseline.Level);
        var warning = Assert.Single(baseline.Warnings);
        Assert.StartsWith($"The best named model all nodes share, {baseline.NamedModel!.Name}, needs features /proc/cpuinfo cannot show (", warning);
        Assert.Contains("amd-psfd", warning);
    }
}
