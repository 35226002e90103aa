using System.Security.Cryptography;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Fixes;

/// <summary>
/// The example lab cluster (contrib/examples/lab-cluster) read the way the snapshot reader does, with only Core:
/// every node's cpuinfo, every VM config (digest = SHA-1 of the file), and cpu-models.conf.
/// </summary>
internal sealed class LabCluster
{
    public static readonly string FixturesDir = RepoPaths.Combine("tests", "ProxClmc.Guard.Core.Tests", "Fixes", "Fixtures", "qemu-server");

    private LabCluster(ClusterBaseline baseline, CustomCpuModels customModels, List<GuestConfig> guests, GuardPolicy policy)
    {
        Baseline = baseline;
        CustomModels = customModels;
        Guests = guests;
        Evaluator = new ComplianceEvaluator(baseline, CpuCatalog.Default, policy, customModels);
    }

    public ClusterBaseline Baseline { get; }

    public CustomCpuModels CustomModels { get; }

    public List<GuestConfig> Guests { get; }

    public ComplianceEvaluator Evaluator { get; }

    public static LabCluster Load(GuardPolicy? policy = null, IEnumerable<(string Node, string CpuInfoFile)>? extraNodes = null)
    {
        policy ??= new GuardPolicy();
        var root = RepoPaths.LabCluster;
        var facts = new List<NodeFacts>();
        var guests = new List<GuestConfig>();
        foreach (var nodeDir in Directory.GetDirectories(Path.Combine(root, "nodes")).Order(StringComparer.Ordinal))
        {
            var node = Path.GetFileName(nodeDir);
            facts.Add(NodeFacts.Readable(node, CpuInfoParser.Parse(File.ReadAllText(Path.Combine(nodeDir, "cpuinfo"))).GetValueOrThrow(), FactsSource.Snapshot));
            guests.AddRange(Directory.GetFiles(Path.Combine(nodeDir, "qemu-server"), "*.conf").Select(f => ReadVm(f, node)));
            if (Directory.Exists(Path.Combine(nodeDir, "lxc")))
            {
                guests.AddRange(Directory.GetFiles(Path.Combine(nodeDir, "lxc"), "*.conf").Select(f => new GuestConfig
                {
                    VmId = int.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture),
                    Node = node,
                    Type = GuestType.Lxc,
                }));
            }
        }

        foreach (var (node, file) in extraNodes ?? [])
        {
            facts.Add(NodeFacts.Readable(node, CpuInfoParser.Parse(File.ReadAllText(file), file).GetValueOrThrow(), FactsSource.Assumed));
        }

        var baseline = ClusterBaseline.Compute(facts, CpuCatalog.Default, policy);
        var custom = CustomCpuModels.Parse(File.ReadAllText(Path.Combine(root, "virtual-guest", "cpu-models.conf"))).GetValueOrThrow();
        return new LabCluster(baseline, custom, guests, policy);
    }

    /// <summary>A fixture VM (Fixes/Fixtures/qemu-server/&lt;vmid&gt;.conf) placed on a lab node.</summary>
    public GuestConfig AddFixture(int vmId, string node = "pve2")
    {
        var guest = ReadVm(Path.Combine(FixturesDir, $"{vmId}.conf"), node);
        Guests.Add(guest);
        return guest;
    }

    public GuestConfig Guest(int vmId) => Guests.Single(g => g.VmId == vmId);

    public void Replace(GuestConfig guest)
    {
        Guests.RemoveAll(g => g.VmId == guest.VmId);
        Guests.Add(guest);
    }

    public ComplianceReport Report() => Evaluator.EvaluateAll(Guests, DateTimeOffset.UnixEpoch);

    public static GuestConfig ReadVm(string path, string node)
    {
        var bytes = File.ReadAllBytes(path);
        var vmId = int.Parse(Path.GetFileNameWithoutExtension(path), System.Globalization.CultureInfo.InvariantCulture);
        return VmConfig.Parse(System.Text.Encoding.UTF8.GetString(bytes), path).GetValueOrThrow()
            .ToGuest(vmId, node, Convert.ToHexStringLower(SHA1.HashData(bytes)), path);
    }
}
