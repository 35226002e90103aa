using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Core.Policy;

namespace ProxClmc.Guard.Core.Compliance;

// Judging <c>host</c> and <c>max</c>: identical nodes or not.
public sealed partial class ComplianceEvaluator
{
    // ---- host and max --------------------------------------------------------------------------------------

    private GuestVerdict JudgeHost(GuestConfig guest, CpuSpec spec, List<GuestNote> notes, JudgeScope? scope = null)
    {
        AddEvmcsNote(spec, notes);
        var nodes = scope is null ? _baseline.Nodes : _baseline.Nodes.Where(n => scope.Nodes.Contains(n.Node)).ToList();
        var readable = nodes.Where(n => n.IsReadable).ToList();
        var hostIdentity = scope is null ? _hostIdentity : HostCpuIdentity.Of(readable, _visible);
        var fits = nodes
            .Select(n => n.IsReadable
                ? new NodeFit(n.Node, hostIdentity.Identical ? true : null, [], false, [], hostIdentity.Identical ? "identical CPU" : hostIdentity.Describe(n.Node))
                : new NodeFit(n.Node, null, [], false, [], "CPU facts unavailable: " + (n.Facts.Error ?? "not read")))
            .ToList();
        AddUncheckedNote(fits, notes);

        var pinned = _baseline.PinnedModel is { } pin ? $"; exceeds pinned baseline {pin.Name}" : "";
        if (hostIdentity.Identical && readable.Count == nodes.Count && pinned.Length == 0)
        {
            if (_policy.HostCpu == HostCpuPolicy.AllowIdentical)
            {
                notes.Add(new GuestNote(GuestNote.IdenticalCpus, scope is null
                    ? $"every node reports an identical CPU; adding a different node makes {spec.HostName} unsafe"
                    : $"every node of {scope.Name} reports an identical CPU; adding a different node to it makes {spec.HostName} unsafe"));
                return new GuestVerdict { Guest = guest, Verdict = Verdict.Ok, Cpu = spec.Display, Reason = $"{spec.HostName} on identical CPUs ({readable.Count} node{(readable.Count == 1 ? "" : "s")}{(scope is null ? "" : " of " + scope.Name)})", Fits = fits };
            }

            return new GuestVerdict { Guest = guest, Verdict = Verdict.HostCpu, Cpu = spec.Display, Reason = $"{spec.HostName} passes the host CPU through (policy.host_cpu = \"unsafe\"; nodes are identical today)", Fits = fits };
        }

        var why = readable.Count < nodes.Count && hostIdentity.Identical
            ? "some nodes could not be read, so identical CPUs cannot be confirmed"
            : "nodes differ: " + hostIdentity.Summary;
        return new GuestVerdict
        {
            Guest = guest,
            Verdict = Verdict.HostCpu,
            Cpu = spec.Display,
            Reason = $"{spec.HostName} passes the node's CPU through; {why}{pinned}",
            Fits = fits,
        };
    }

    /// <summary>Whether every readable node reports the same vendor, family, model and flags, and if not, how they differ.</summary>
    private sealed class HostCpuIdentity
    {
        private readonly Dictionary<string, string> _perNode = new(StringComparer.Ordinal);

        public bool Identical { get; private init; }

        public string Summary { get; private init; } = "";

        public string Describe(string node) => _perNode.TryGetValue(node, out var text) ? text : "differs";

        public static HostCpuIdentity Of(IReadOnlyList<NodeCapability> nodes, GuestVisibleFeatures visible)
        {
            if (nodes.Count == 0)
            {
                return new HostCpuIdentity { Identical = false, Summary = "no node could be read" };
            }

            // Only features a guest can see count: kernel and hypervisor bookkeeping (pti, cpuid, hypervisor,
            // tsc_reliable, acpi, bts, ...) differ between identical CPUs and mean nothing to a host guest.
            var union = new HashSet<string>(StringComparer.Ordinal);
            foreach (var node in nodes)
            {
                union.UnionWith(node.Facts.Cpu!.Flags.Where(visible.Contains));
            }

            var first = nodes[0].Facts.Cpu!;
            var identical = nodes.All(n => nodes[0].Facts.Qemu is not null && n.Facts.Qemu is not null
                ? NodeCapability.SameHostCpu(nodes[0].Facts, n.Facts)
                : SameCpu(first, n.Facts.Cpu!, visible));
            var identity = new HostCpuIdentity
            {
                Identical = identical,
                Summary = identical ? "identical" : DescribeDifferences(nodes, union, visible),
            };

            foreach (var node in nodes)
            {
                var cpu = node.Facts.Cpu!;
                var lacks = visible.Rank(union.Where(f => !cpu.Flags.Contains(f)));
                identity._perNode[node.Node] = identical
                    ? "identical CPU"
                    : lacks.Count == 0 ? $"{cpu.ModelName}: has every flag of the other nodes" : $"{cpu.ModelName}: lacks {Abbreviate(lacks)}";
            }

            return identity;
        }

        private static string DescribeDifferences(IReadOnlyList<NodeCapability> nodes, HashSet<string> union, GuestVisibleFeatures visible)
        {
            var lacking = nodes
                .Select(n => (n.Node, Lacks: visible.Rank(union.Where(f => !n.Facts.Cpu!.Flags.Contains(f)))))
                .Where(x => x.Lacks.Count > 0)
                .Select(x => $"{x.Node} lacks {x.Lacks.Count} CPU feature{(x.Lacks.Count == 1 ? "" : "s")} another node has ({Abbreviate(x.Lacks, 4)})")
                .ToList();
            return lacking.Count > 0
                ? string.Join(", ", lacking) + "; a guest started on a richer node can crash on an illegal instruction after migrating"
                : nodes.All(n => n.Facts.Qemu is not null) ? "the features KVM passes through differ (QEMU's host expansion)" : "vendor, family or model differ";
        }

        private static bool SameCpu(CpuInfo a, CpuInfo b, GuestVisibleFeatures visible) =>
            a.VendorId == b.VendorId && a.Family == b.Family && a.Model == b.Model
            && a.Flags.Where(visible.Contains).ToHashSet(StringComparer.Ordinal).SetEquals(b.Flags.Where(visible.Contains));
    }

    /// <summary>
    /// The cpuinfo flags that stand for a CPU feature a guest can see (the catalog's QEMU features, less those KVM
    /// supplies itself), ranked by how much they matter: the lowest Proxmox level that needs a flag first (a node
    /// without sse4.2 breaks more guests than one without avx512vl), then flags more named models need.
    /// </summary>
    internal sealed class GuestVisibleFeatures
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<CpuCatalog, GuestVisibleFeatures> Cache = new();

        // flag -> the lowest level that needs it (LevelModels.Count: none does).
        private readonly Dictionary<string, int> _level = new(StringComparer.Ordinal);

        // flag -> how many models need it, for a catalog whose model flags are not all numbered by its index:
        // counted the first time a flag is ranked, then kept. Evaluations run in parallel.
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _models = new(StringComparer.Ordinal);
        private readonly CpuCatalog _catalog;
        private ModelCounts? _byPosition;

        /// <summary>
        /// CPU features QEMU can name but KVM never offers a guest, whatever the host has: Linux's KVM leaves their
        /// CPUID bits at 0 in what it supports (arch/x86/kvm/cpuid.c, kvm_set_cpu_caps: leaf 1 ECX DTES64, MONITOR,
        /// DS-CPL, SMX, EST, TM2, xTPR, DCA; leaf 1 EDX DS, ACPI, HTT, TM, PBE, PSN), and the VMX capabilities older
        /// kernels list among the flags (vnmi, flexpriority, tpr_shadow, ept, vpid). A host guest never sees them, so
        /// two nodes that differ only there are the same to it. (monitor/mwait reach a guest only with KVM's
        /// mwait-in-guest capability, which Proxmox does not enable.)
        /// </summary>
        private static readonly HashSet<string> KvmNeverOffers = new(StringComparer.Ordinal)
        {
            "dtes64", "monitor", "ds_cpl", "smx", "est", "tm2", "xtpr", "dca",
            "dts", "acpi", "ht", "tm", "pbe", "pn",
            "vnmi", "flexpriority", "tpr_shadow", "ept", "vpid",
        };

        private GuestVisibleFeatures(CpuCatalog catalog) => _catalog = catalog;

        public bool Contains(string flag) => _level.ContainsKey(flag);

        public List<string> Rank(IEnumerable<string> flags) =>
            flags.OrderBy(f => _level[f]).ThenByDescending(Models).ThenBy(f => f, StringComparer.Ordinal).ToList();

        public static GuestVisibleFeatures Of(CpuCatalog catalog) => Cache.GetValue(catalog, Build);

        private int Models(string flag)
        {
            // Where every model's flags are numbered by the catalog's index, one pass over their bits counts all flags.
            var counted = LazyInitializer.EnsureInitialized(ref _byPosition, () => new ModelCounts(CountByPosition(_catalog)));
            if (counted.Counts is { } counts)
            {
                return _catalog.FlagIndex.TryGetPosition(flag, out var position) ? counts[position] : 0;
            }

            return _models.TryGetValue(flag, out var count) ? count : _models.GetOrAdd(flag, f => _catalog.Models.Count(m => m.RequiredFlags.Contains(f)));
        }

        private static int[]? CountByPosition(CpuCatalog catalog)
        {
            var counts = new int[catalog.FlagIndex.Count];
            foreach (var model in catalog.Models)
            {
                if (model.RequiredFlags is not NameSet { Binding: { } bound } || !ReferenceEquals(bound.Bits.Index, catalog.FlagIndex) || bound.Unindexed.Length > 0)
                {
                    return null;
                }

                bound.Bits.CountInto(counts);
            }

            return counts;
        }

        private sealed record ModelCounts(int[]? Counts);

        private static GuestVisibleFeatures Build(CpuCatalog catalog)
        {
            var features = new GuestVisibleFeatures(catalog);
            var levels = catalog.LevelModels;
            foreach (var mapping in catalog.QemuFlags)
            {
                if (mapping.ProvidedByKvm)
                {
                    continue;
                }

                foreach (var flag in mapping.CpuinfoFlags)
                {
                    if (features._level.ContainsKey(flag) || KvmNeverOffers.Contains(flag))
                    {
                        continue;
                    }

                    var level = 0;
                    while (level < levels.Count && !levels[level].RequiredFlags.Contains(flag))
                    {
                        level++;
                    }

                    features._level[flag] = level;
                }
            }

            return features;
        }
    }
}
