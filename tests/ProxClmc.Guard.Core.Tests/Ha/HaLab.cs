using System.Security.Cryptography;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Ha;

/// <summary>contrib/examples/ha-lab read with only Core: nodes, VMs and the three HA files (optionally edited).</summary>
internal sealed class HaLab
{
    private HaLab(ClusterBaseline baseline, List<GuestConfig> guests, HaConfig ha)
    {
        Baseline = baseline;
        Guests = guests;
        Ha = ha;
        Nodes = baseline.Nodes.Select(n => n.Node).ToList();
        Placement = HaPlacement.Compute(ha, Nodes);
        Evaluator = new ComplianceEvaluator(baseline, CpuCatalog.Default, new GuardPolicy(), null, Placement);
    }

    public ClusterBaseline Baseline { get; }

    public List<GuestConfig> Guests { get; }

    public HaConfig Ha { get; }

    public IReadOnlyList<string> Nodes { get; }

    public HaPlacement Placement { get; }

    public ComplianceEvaluator Evaluator { get; }

    /// <param name="editRules">Changes rules.cfg's text before it is parsed (what-if variants of the lab).</param>
    /// <param name="withoutNodes">Nodes left out of the cluster (their guests stay, judged against the rest).</param>
    public static HaLab Load(Func<string, string>? editRules = null, params string[] withoutNodes)
    {
        var root = RepoPaths.HaLab;
        var facts = new List<NodeFacts>();
        var guests = new List<GuestConfig>();
        foreach (var nodeDir in Directory.GetDirectories(Path.Combine(root, "nodes")).Order(StringComparer.Ordinal))
        {
            var node = Path.GetFileName(nodeDir);
            if (withoutNodes.Contains(node))
            {
                continue;
            }

            facts.Add(NodeFacts.Readable(node, CpuInfoParser.Parse(File.ReadAllText(Path.Combine(nodeDir, "cpuinfo"))).GetValueOrThrow(), FactsSource.Snapshot));
            foreach (var file in Directory.GetFiles(Path.Combine(nodeDir, "qemu-server"), "*.conf"))
            {
                var bytes = File.ReadAllBytes(file);
                var vmId = int.Parse(Path.GetFileNameWithoutExtension(file), System.Globalization.CultureInfo.InvariantCulture);
                guests.Add(VmConfig.Parse(System.Text.Encoding.UTF8.GetString(bytes), file).GetValueOrThrow()
                    .ToGuest(vmId, node, Convert.ToHexStringLower(SHA1.HashData(bytes)), file));
            }
        }

        var ha = Path.Combine(root, "ha");
        var rulesText = File.ReadAllText(Path.Combine(ha, "rules.cfg"));
        var config = new HaConfig
        {
            Resources = HaConfigParser.ParseResources(File.ReadAllText(Path.Combine(ha, "resources.cfg"))).GetValueOrThrow().Resources,
            Groups = HaConfigParser.ParseGroups(File.ReadAllText(Path.Combine(ha, "groups.cfg"))).GetValueOrThrow().Groups,
            Rules = HaConfigParser.ParseRules(editRules is null ? rulesText : editRules(rulesText)).GetValueOrThrow().Rules,
        };
        return new HaLab(ClusterBaseline.Compute(facts, CpuCatalog.Default, new GuardPolicy()), guests, config);
    }

    public GuestConfig Guest(int vmId) => Guests.Single(g => g.VmId == vmId);

    public GuestVerdict Judge(int vmId) => Evaluator.Evaluate(Guest(vmId));
}
