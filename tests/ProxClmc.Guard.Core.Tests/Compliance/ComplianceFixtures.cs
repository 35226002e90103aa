using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Compliance;

/// <summary>Real-format VM configs (Fixtures/compliance) and clusters built from real corpus cpuinfo files.</summary>
internal static class ComplianceFixtures
{
    public const string Haswell = "intel-xeon-e5-2680v3-haswell.txt";          // Haswell-EP, x86-64-v3, 46 bits
    public const string SkylakeSp = "intel-xeon-gold-6132-skylake-sp.txt";     // Skylake-SP, x86-64-v4, 46 bits
    public const string BroadwellEp = "intel-xeon-e5-2697v4-broadwell-ep.txt"; // Broadwell-EP (a VM's view), 43 bits
    public const string SapphireRapids = "intel-xeon-platinum-8480plus-sapphirerapids.txt";
    public const string EpycZen1 = "amd-epyc-7301-zen1.txt";

    public static string Dir => RepoPaths.Combine("tests", "ProxClmc.Guard.Core.Tests", "Fixtures", "compliance");

    public static NodeFacts Node(string name, string cpuinfoFile)
    {
        var path = Path.Combine(RepoPaths.Corpus, "cpuinfo", cpuinfoFile);
        return NodeFacts.Readable(name, CpuInfoParser.Parse(File.ReadAllText(path), path).GetValueOrThrow(), FactsSource.Snapshot);
    }

    public static ClusterBaseline Nodes(GuardPolicy policy, params NodeFacts[] nodes) =>
        ClusterBaseline.Compute(nodes, CpuCatalog.Default, policy);

    public static ClusterBaseline Nodes(params NodeFacts[] nodes) => Nodes(new GuardPolicy(), nodes);

    /// <summary>Haswell-EP and Skylake-SP: different CPUs, both Intel, both 46 bits.</summary>
    public static ClusterBaseline HaswellAndSkylake(GuardPolicy? policy = null) =>
        Nodes(policy ?? new GuardPolicy(), Node("hsw", Haswell), Node("sky", SkylakeSp));

    public static GuestConfig Vm(string file, int vmId = 100, string node = "hsw")
    {
        var path = Path.Combine(Dir, file);
        return VmConfig.Parse(File.ReadAllText(path), path).GetValueOrThrow().ToGuest(vmId, node, null, path);
    }

    public static CustomCpuModels CustomModels()
    {
        var path = Path.Combine(Dir, "cpu-models.conf");
        return CustomCpuModels.Parse(File.ReadAllText(path), path).GetValueOrThrow();
    }

    public static GuestVerdict Judge(ClusterBaseline cluster, GuestConfig guest, GuardPolicy? policy = null, CustomCpuModels? custom = null) =>
        new ComplianceEvaluator(cluster, CpuCatalog.Default, policy ?? new GuardPolicy(), custom).Evaluate(guest);

    public static GuestNote Note(GuestVerdict verdict, string code) =>
        Assert.Single(verdict.Notes, n => n.Code == code);
}
