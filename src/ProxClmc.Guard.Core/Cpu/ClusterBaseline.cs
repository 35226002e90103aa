using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Policy;

namespace ProxClmc.Guard.Core.Cpu;

/// <summary>
/// The CPU types every node of the cluster can run: the highest Proxmox level and, when all nodes share a vendor,
/// the best shared named model. A pinned baseline (policy.baseline) replaces the computed one, like VMware EVC.
/// </summary>
public sealed record ClusterBaseline
{
    public required IReadOnlyList<NodeCapability> Nodes { get; init; }

    /// <summary>The highest level every readable node supports.</summary>
    public required CpuLevel Level { get; init; }

    /// <summary>The best named model all readable nodes support; null with mixed vendors or none shared.</summary>
    public CpuModel? NamedModel { get; init; }

    /// <summary>The vendor_id every readable node shares; null when vendors are mixed.</summary>
    public string? SharedVendor { get; init; }

    public bool VendorMix { get; init; }

    /// <summary>The narrowest physical address width among readable nodes.</summary>
    public int? MinPhysBits { get; init; }

    /// <summary>Nodes whose facts could not be read (baseline computed without them).</summary>
    public IReadOnlyList<string> UnreadableNodes { get; init; } = [];

    public bool IsPartial => UnreadableNodes.Count > 0;

    /// <summary>The pinned model from policy.baseline, when pinned.</summary>
    public CpuModel? PinnedModel { get; init; }

    /// <summary>With a pinned baseline: nodes that cannot run it (non-compliant nodes).</summary>
    public IReadOnlyList<string> NodesBelowPin { get; init; } = [];

    /// <summary>Plain-language warnings: vendor mix, flags that differ across a node's processors, nodes below kvm64, ...</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The CPU type to configure on guests: the pinned model, or the level model's name.</summary>
    public string ClusterCpuType => PinnedModel?.Name ?? CpuCatalog.LevelName(Level);

    /// <summary>
    /// An unknown pinned name (a typo, <c>host</c>, <c>x86-64-v1</c>) does not stop the computation: the CLI validates
    /// the configuration and refuses it first; here the baseline falls back to "auto" and says so in a warning, so a
    /// library caller still gets a usable answer rather than an exception.
    /// </summary>
    public static ClusterBaseline Compute(IReadOnlyList<NodeFacts> facts, CpuCatalog catalog, GuardPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(policy);

        var nodes = ComputeNodes(facts, catalog);
        var readable = nodes.Where(n => n.IsReadable).ToList();
        var unreadable = nodes.Where(n => !n.IsReadable).Select(n => n.Node).ToList();
        var warnings = new List<string>();

        foreach (var n in nodes.Where(n => !n.IsReadable))
        {
            warnings.Add($"Node {n.Node} could not be read ({n.Facts.Error ?? "no reason given"}): the baseline is computed without it.");
        }

        foreach (var n in readable)
        {
            var cpu = n.Facts.Cpu!;
            if (n.Facts.IsStale)
            {
                var when = n.Facts.CollectedAt is { } at ? " from " + at.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture) : "";
                warnings.Add($"Node {n.Node} could not be read now; its last known facts{when} stand in for it.");
            }

            foreach (var w in cpu.Warnings)
            {
                warnings.Add($"Node {n.Node}: {w}.");
            }

            if (cpu.FlagsNotOnAllProcessors.Count > 0)
            {
                warnings.Add($"Node {n.Node}: its processors do not all show the same flags ({Short(cpu.FlagsNotOnAllProcessors)}); it is judged on the flags every processor shows.");
            }

            if (n.Level < CpuLevel.Kvm64)
            {
                warnings.Add($"Node {n.Node} cannot run kvm64, Proxmox's default CPU type for VMs without a cpu line ({WhyNotKvm64(n, catalog)}); its level is {CpuCatalog.LevelName(n.Level)}.");
            }
        }

        if (readable.Count == 0)
        {
            warnings.Add("No node could be read: there is no baseline.");
        }

        var level = readable.Count == 0 ? CpuLevel.None : readable.Min(n => n.Level);
        int? minPhysBits = readable.Select(n => n.Facts.Cpu!.PhysicalAddressBits).Where(b => b is not null).Min();

        var vendors = readable.Select(n => n.Facts.Cpu!.VendorId).Distinct(StringComparer.Ordinal).ToList();
        var knownVendors = vendors.Where(v => v.Length > 0).ToList();
        var vendorMix = knownVendors.Count > 1;
        var sharedVendor = vendors.Count == 1 && vendors[0].Length > 0 ? vendors[0] : null;
        if (vendorMix)
        {
            var groups = readable.GroupBy(n => n.Facts.Cpu!.VendorId.Length == 0 ? "unknown vendor" : n.Facts.Cpu!.VendorId)
                .Select(g => $"{g.Key}: {string.Join(", ", g.Select(n => n.Node))}");
            warnings.Add($"The nodes have CPUs from different vendors ({string.Join("; ", groups)}): no named model runs on all of them, only the generic levels. Proxmox does not guarantee live migration between Intel and AMD hosts.");
        }
        else if (knownVendors.Count == 1 && vendors.Count > 1)
        {
            var unknown = readable.Where(n => n.Facts.Cpu!.VendorId.Length == 0).Select(n => n.Node);
            warnings.Add($"The CPU vendor of {string.Join(", ", unknown)} is not known (API facts with an unusual model name): no named model is suggested.");
        }

        CpuModel? named = null;
        if (sharedVendor is not null)
        {
            named = BestShared(readable, sharedVendor, out var verified);
            if (named is not null && !verified)
            {
                var unverifiedOn = readable.Select(n => n.Check(CpuRequirement.FromModel(named))).SelectMany(c => c.Unverified).Distinct().Order(StringComparer.Ordinal).ToList();
                warnings.Add($"The best named model all nodes share, {named.Name}, needs features /proc/cpuinfo cannot show ({Short(unverifiedOn)}): likely but not proven to start on every node.");
            }
        }

        CpuModel? pinned = null;
        var belowPin = new List<string>();
        if (policy.IsPinned)
        {
            var name = policy.Baseline.Trim();
            if (catalog.TryGetModel(name, out var model))
            {
                pinned = model;
                var requirement = CpuRequirement.FromModel(model);
                foreach (var n in readable)
                {
                    var check = n.Check(requirement, policy.StrictVendor);
                    if (!check.CanRun)
                    {
                        belowPin.Add(n.Node);
                        warnings.Add($"Node {n.Node} cannot run the pinned baseline {model.Name}: {Explain(check)}.");
                    }
                    else if (check.State == SupportState.SupportedUnverified)
                    {
                        warnings.Add($"Node {n.Node} probably runs the pinned baseline {model.Name}, but /proc/cpuinfo cannot show {Short(check.Unverified)}.");
                    }
                }

                if (unreadable.Count > 0)
                {
                    warnings.Add($"Whether {string.Join(", ", unreadable)} can run the pinned baseline {model.Name} is unknown: not readable.");
                }
            }
            else
            {
                var hint = name switch
                {
                    "x86-64-v1" => " (Proxmox has no x86-64-v1 model; the lowest level is kvm64)",
                    "host" or "max" => " (host and max follow each node's own CPU and cannot be a cluster baseline)",
                    _ => "",
                };
                warnings.Add($"policy.baseline \"{name}\" is not a CPU model Proxmox knows{hint}: the baseline is computed from the nodes instead.");
            }
        }

        return new ClusterBaseline
        {
            Nodes = nodes,
            Level = level,
            NamedModel = named,
            SharedVendor = sharedVendor,
            VendorMix = vendorMix,
            MinPhysBits = minPhysBits,
            UnreadableNodes = unreadable,
            PinnedModel = pinned,
            NodesBelowPin = belowPin,
            Warnings = warnings,
        };
    }

    /// <summary>Nodes with identical CPUs (the usual case) share one computation.</summary>
    private static List<NodeCapability> ComputeNodes(IReadOnlyList<NodeFacts> facts, CpuCatalog catalog)
    {
        var byCpu = new Dictionary<string, NodeCapability>(StringComparer.Ordinal);
        var nodes = new List<NodeCapability>(facts.Count);
        foreach (var f in facts)
        {
            if (f.Cpu is null || f.Qemu is not null)
            {
                nodes.Add(NodeCapability.Compute(f, catalog));
                continue;
            }

            var key = string.Join('|', f.Cpu.VendorId, f.Cpu.Architecture, string.Join(' ', f.Cpu.Flags.Order(StringComparer.Ordinal)), string.Join(' ', f.Cpu.Bugs.Order(StringComparer.Ordinal)), f.KvmFlags?.Key ?? "-");
            if (byCpu.TryGetValue(key, out var same))
            {
                nodes.Add(same.ForIdenticalCpu(f));
            }
            else
            {
                var computed = NodeCapability.Compute(f, catalog);
                byCpu[key] = computed;
                nodes.Add(computed);
            }
        }

        return nodes;
    }

    /// <summary>The best model every node supports, ranked like a single node's (verified only if verified everywhere).</summary>
    private static CpuModel? BestShared(List<NodeCapability> readable, string vendor, out bool verified)
    {
        verified = false;
        if (readable.Count == 0)
        {
            return null;
        }

        var shared = readable[0].SupportedNamedModels.Where(m => m.Vendor == vendor);
        foreach (var n in readable.Skip(1))
        {
            var names = n.SupportedNamedModels.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
            shared = shared.Where(m => names.Contains(m.Name));
        }

        var ranked = NodeCapability.Rank(shared.ToList().Select(m =>
            (m, readable.TrueForAll(n => n.Check(CpuRequirement.FromModel(m)).State == SupportState.Supported))));
        if (ranked.Count == 0)
        {
            return null;
        }

        verified = readable.TrueForAll(n => n.Check(CpuRequirement.FromModel(ranked[0])).State == SupportState.Supported);
        return ranked[0];
    }

    private static string WhyNotKvm64(NodeCapability node, CpuCatalog catalog)
    {
        var check = node.Check(CpuRequirement.FromModel(catalog.ModelForLevel(CpuLevel.Kvm64)!));
        return Explain(check);
    }

    private static string Explain(SupportCheck check)
    {
        var parts = new List<string>();
        if (check.Reason is not null)
        {
            parts.Add(check.Reason);
        }

        if (check.MissingFlags.Count > 0)
        {
            parts.Add("missing " + Short(check.MissingFlags));
        }

        if (check.PresentBugs.Count > 0)
        {
            parts.Add("affected by " + Short(check.PresentBugs));
        }

        if (check.VendorMismatch)
        {
            parts.Add("other CPU vendor");
        }

        return parts.Count == 0 ? "no reason recorded" : string.Join("; ", parts);
    }

    private static string Short(IReadOnlyList<string> items) =>
        items.Count <= 8 ? string.Join(", ", items) : string.Join(", ", items.Take(8)) + $" and {items.Count - 8} more";
}
