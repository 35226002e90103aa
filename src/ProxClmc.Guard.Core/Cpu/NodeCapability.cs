using System.Collections.Concurrent;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Facts;

namespace ProxClmc.Guard.Core.Cpu;

/// <summary>What one node can run: its highest Proxmox level and best named model (of its own vendor).</summary>
public sealed record NodeCapability
{
    private readonly CheckCache cache = new();

    // Not part of the record's value: a memo of OfferedBits, checked against the facts it was computed from.
    private OfferedFlags? offered;

    public required NodeFacts Facts { get; init; }

    public string Node => Facts.Node;

    /// <summary>The highest level the node can run; <see cref="CpuLevel.None"/> when unreadable or nothing fits.</summary>
    public required CpuLevel Level { get; init; }

    /// <summary>The best named model the node supports, ranked by feature set; null if none.</summary>
    public CpuModel? BestNamedModel { get; init; }

    /// <summary>Every named (vendor) 64-bit model the node supports, verified or not, best first (see <see cref="Rank"/>).</summary>
    public IReadOnlyList<CpuModel> SupportedNamedModels { get; init; } = [];

    public bool IsReadable => Facts.Cpu is not null;

    /// <summary>
    /// Level: the levels form a chain (kvm64 &lt; x86-64-v2 &lt; -AES &lt; v3 &lt; v4) and a node's level promises every level
    /// below it, because guests without a <c>cpu</c> line run kvm64. So a node that cannot run kvm64 gets qemu64 (or none),
    /// even when it could run x86-64-v2: a nested node inside an x86-64-v2-AES guest has no <c>vme</c> (qemu64-based
    /// models lack it), and Proxmox's default kvm64 needs it.
    /// </summary>
    public static NodeCapability Compute(NodeFacts facts, CpuCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(catalog);
        var probe = new NodeCapability { Facts = facts, Level = CpuLevel.None };
        if (facts.Cpu is null)
        {
            return probe;
        }

        var level = CpuLevel.None;
        if (probe.CanRun(catalog.ModelForLevel(CpuLevel.Kvm64)!))
        {
            level = CpuLevel.Kvm64;
            foreach (var next in new[] { CpuLevel.V2, CpuLevel.V2Aes, CpuLevel.V3, CpuLevel.V4 })
            {
                if (!probe.CanRun(catalog.ModelForLevel(next)!))
                {
                    break;
                }

                level = next;
            }
        }
        else if (probe.CanRun(catalog.Qemu64))
        {
            level = CpuLevel.Qemu64;
        }

        var supported = new List<(CpuModel Model, bool Verified)>();
        foreach (var model in catalog.Models)
        {
            // 32-bit-only models (486 ... coreduo, n270) are left out: as a baseline they would break every 64-bit guest.
            if (model.Vendor is null || model.Vendor != facts.Cpu.VendorId || !model.RequiredFlags.Contains("lm"))
            {
                continue;
            }

            var check = probe.Check(CpuRequirement.FromModel(model));
            if (check.CanRun)
            {
                supported.Add((model, check.State == SupportState.Supported));
            }
        }

        var ranked = Rank(supported);
        return probe with
        {
            Level = level,
            SupportedNamedModels = ranked,
            BestNamedModel = ranked.Count > 0 ? ranked[0] : null,
        };
    }

    /// <summary>
    /// Orders named models best first. Verified models come before unverified ones: a model that needs bits Linux never
    /// shows (SapphireRapids, EPYC-Genoa, ...) may still be refused by QEMU, and a recommended baseline that keeps VMs
    /// from starting is worse than a slightly older one. Then more required flags (a strict superset always has more,
    /// so a superset ranks higher); then a plain or alias name over a versioned "-vN" one with the same flags (older
    /// Proxmox releases accept only the plain names); then the model more QEMU versions know; then the name.
    /// </summary>
    public static IReadOnlyList<CpuModel> Rank(IEnumerable<(CpuModel Model, bool Verified)> models) =>
        models
            .OrderByDescending(m => m.Verified)
            .ThenByDescending(m => m.Model.RequiredFlags.Count)
            .ThenBy(m => IsVersionedName(m.Model.Name))
            .ThenByDescending(m => m.Model.QemuVersions.Count)
            .ThenBy(m => m.Model.Name, StringComparer.Ordinal)
            .Select(m => m.Model)
            .ToList();

    private static bool IsVersionedName(string name)
    {
        var dash = name.LastIndexOf("-v", StringComparison.Ordinal);
        return dash > 0 && dash + 2 < name.Length && name.AsSpan(dash + 2).IndexOfAnyExceptInRange('0', '9') < 0;
    }

    private bool CanRun(CpuModel model) => Check(CpuRequirement.FromModel(model)).CanRun;

    /// <summary>Checks one requirement against this node. An unreadable node answers Unsupported with no missing flags.</summary>
    public SupportCheck Check(CpuRequirement requirement, bool strictVendor = true)
    {
        ArgumentNullException.ThrowIfNull(requirement);

        // Only requirements that are exactly a catalog model are cached: they repeat for every VM and every node.
        var cacheable = requirement.Model is { } m && ReferenceEquals(requirement.Flags, m.RequiredFlags)
            && ReferenceEquals(requirement.BugsMustBeAbsent, m.BugsMustBeAbsent) && ReferenceEquals(requirement.NotCheckable, m.NotCheckable)
            && requirement.Vendor == m.Vendor && IsPlainQemuForm(requirement, m);
        if (!cacheable)
        {
            return Judge(requirement, strictVendor);
        }

        var key = (requirement.Model!.Name, strictVendor);
        var map = cache.For(Facts);
        return map.TryGetValue(key, out var known) ? known : map.GetOrAdd(key, _ => Judge(requirement, strictVendor));
    }

    private static bool IsOrdinallySorted(List<string> names)
    {
        for (var i = 1; i < names.Count; i++)
        {
            if (string.CompareOrdinal(names[i - 1], names[i]) > 0)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPlainQemuForm(CpuRequirement requirement, CpuModel model)
    {
        var (name, flags) = ProxmoxCpuForms.QemuFormOf(model);
        return requirement.QemuModel == name && requirement.QemuFlags.SequenceEqual(flags);
    }

    private SupportCheck Judge(CpuRequirement requirement, bool strictVendor)
    {
        var cpu = Facts.Cpu;
        if (cpu is null)
        {
            return new SupportCheck(SupportState.Unsupported, [], [], false, [])
            {
                Reason = "the node's CPU facts could not be read" + (Facts.Error is null ? "" : ": " + Facts.Error),
            };
        }

        var vendorUnknown = requirement.Vendor is not null && cpu.VendorId.Length == 0;
        var vendorMismatch = strictVendor && requirement.Vendor is not null && !vendorUnknown && requirement.Vendor != cpu.VendorId;
        var unverified = new List<string>();
        if (strictVendor && vendorUnknown)
        {
            unverified.Add("vendor (the node's facts do not name it)");
        }

        if (Facts.Qemu is { } qemu && requirement.QemuModel is { } qemuModel)
        {
            var byQemu = JudgeByQemu(requirement, qemu, qemuModel, cpu, vendorMismatch, unverified);
            return Facts.QemuCappedByCpuInfo && byQemu.CanRun ? CappedByCpuInfo(byQemu, JudgeByCpuInfo(requirement, cpu, vendorMismatch, [])) : byQemu;
        }

        return JudgeByCpuInfo(requirement, cpu, vendorMismatch, unverified);
    }

    private SupportCheck JudgeByCpuInfo(CpuRequirement requirement, CpuInfo cpu, bool vendorMismatch, List<string> unverified)
    {
        // Proxmox's KVM flag list, where it names the node, sharpens cpuinfo: a flag the CPU shows but KVM does not
        // give is missing, and a feature cpuinfo cannot show is given or not. It never makes up for a flag cpuinfo lacks.
        var kvm = Facts.KvmFlags;
        var missing = new List<string>();
        if (requirement.Flags is NameSet { Binding: { } binding } && cpu.Flags is HashSet<string> present)
        {
            // The common case (a catalog model, or a guest's flags numbered by the catalog, against parsed cpuinfo):
            // what the node offers is numbered once per index, so the missing flags are one AND-NOT per 64 flags,
            // found in ordinal order. Names the index does not number are looked up one by one.
            binding.Bits.AddMissingFrom(OfferedBits(binding.Bits.Index, cpu, present, kvm), missing);
            foreach (var flag in binding.Unindexed)
            {
                if (!present.Contains(flag) || kvm?.Masks(flag) == true)
                {
                    missing.Add(flag);
                }
            }
        }
        else
        {
            foreach (var flag in requirement.Flags)
            {
                if (!cpu.Flags.Contains(flag) || kvm?.Masks(flag) == true)
                {
                    missing.Add(flag);
                }
            }
        }

        foreach (var feature in requirement.NotCheckable)
        {
            if (kvm is null || !kvm.Names(feature))
            {
                unverified.Add(feature);
            }
            else if (!kvm.Gives(feature))
            {
                missing.Add(feature);
            }
        }

        // Bits give their names in order already; only names added otherwise need the sort.
        if (!IsOrdinallySorted(missing))
        {
            missing.Sort(StringComparer.Ordinal);
        }

        var presentBugs = new List<string>();
        if (requirement.BugsMustBeAbsent.Count > 0)
        {
            foreach (var bug in requirement.BugsMustBeAbsent)
            {
                if (cpu.Bugs.Contains(bug))
                {
                    presentBugs.Add(bug);
                }
            }

            presentBugs.Sort(StringComparer.Ordinal);
        }


        // KVM on a 32-bit host kernel cannot run a guest in long mode: no 64-bit CPU type works there.
        var needsLongMode = requirement.Flags.Contains("lm");
        string? reason = cpu.Is32BitKernel && needsLongMode
            ? $"the node runs a 32-bit ({cpu.Architecture}) kernel: KVM cannot run 64-bit guests there"
            : null;

        var state = missing.Count > 0 || presentBugs.Count > 0 || vendorMismatch || reason is not null
            ? SupportState.Unsupported
            : unverified.Count > 0 ? SupportState.SupportedUnverified : SupportState.Supported;
        return new SupportCheck(state, missing, presentBugs, vendorMismatch, unverified) { Reason = reason, SharpenedByKvmFlags = kvm is not null };
    }

    /// <summary>
    /// The flags of <paramref name="index"/> this node offers a guest: shown by its cpuinfo and not masked by
    /// Proxmox's KVM flag list. Computed once per node and index (the node's own flags the index does not number
    /// cannot be asked by an indexed requirement, so they are not needed here).
    /// </summary>
    private FlagBits OfferedBits(FlagIndex index, CpuInfo cpu, HashSet<string> present, KvmFlagList? kvm)
    {
        if (offered is { } known && ReferenceEquals(known.Index, index) && ReferenceEquals(known.Cpu, cpu) && ReferenceEquals(known.Kvm, kvm))
        {
            return known.Bits;
        }

        var bits = index.Of(kvm is null ? present : present.Where(f => !kvm.Masks(f)));
        offered = new OfferedFlags(index, cpu, kvm, bits);
        return bits;
    }

    /// <summary>
    /// A QEMU answer from a document any node's root could have written (pmxcfs) is held to the cpuinfo in the same
    /// document: it may refuse a model, but a flag the node's own cpuinfo lacks stays missing, whatever it claims.
    /// </summary>
    private static SupportCheck CappedByCpuInfo(SupportCheck byQemu, SupportCheck byCpuInfo) =>
        byCpuInfo.MissingFlags.Count == 0
            ? byQemu
            : byQemu with { State = SupportState.Unsupported, MissingFlags = byCpuInfo.MissingFlags };

    /// <summary>
    /// QEMU's answer decides, as <c>enforce</c> will when the VM starts: the base model's unavailable features must all
    /// be switched off by a <c>-flag</c>, and every <c>+flag</c> must be in the <c>host</c> expansion (what KVM can
    /// give). So <c>qemu64,-pni</c> runs where <c>qemu64</c> cannot. A model this node's QEMU does not know cannot
    /// start there at all. Vendor and 32-bit kernel still come from cpuinfo: QEMU does not refuse a foreign vendor,
    /// Proxmox's support does.
    /// </summary>
    private static SupportCheck JudgeByQemu(CpuRequirement requirement, QemuCpuAnswer qemu, string qemuModel, CpuInfo cpu, bool vendorMismatch, List<string> unverified)
    {
        if (!TryFindQemuModel(qemu, qemuModel, requirement.Model, out var answer))
        {
            return new SupportCheck(SupportState.Unsupported, [], [], vendorMismatch, [])
            {
                Reason = $"QEMU {qemu.Version} on this node does not know the model {qemuModel}",
                AnsweredByQemu = true,
                ModelUnknownToQemu = true,
            };
        }

        var removed = new HashSet<string>(StringComparer.Ordinal);
        var added = new List<string>();
        foreach (var flag in requirement.QemuFlags)
        {
            if (flag.Length < 2)
            {
                continue;
            }

            var name = flag[1..];
            if (flag[0] == '-')
            {
                removed.Add(QemuCpuAnswer.Canonical(name));
                added.RemoveAll(a => QemuCpuAnswer.Canonical(a) == QemuCpuAnswer.Canonical(name));
            }
            else if (flag[0] == '+')
            {
                removed.Remove(QemuCpuAnswer.Canonical(name));
                added.Add(name);
            }
        }

        var missing = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var feature in answer.UnavailableFeatures)
        {
            if (!removed.Contains(QemuCpuAnswer.Canonical(feature)) && seen.Add(QemuCpuAnswer.Canonical(feature)))
            {
                missing.Add(feature);
            }
        }

        foreach (var feature in added)
        {
            // Hyper-V enlightenments (hv-*) and KVM's paravirtual features (kvm-*) are QEMU's and KVM's own, not host CPUID bits.
            if (feature.StartsWith("hv-", StringComparison.Ordinal) || feature.StartsWith("hv_", StringComparison.Ordinal) || feature.StartsWith("kvm", StringComparison.Ordinal))
            {
                continue;
            }

            if (!qemu.HostHas(feature) && seen.Add(QemuCpuAnswer.Canonical(feature)))
            {
                missing.Add(feature);
            }
        }

        missing.Sort(StringComparer.Ordinal);
        string? reason = cpu.Is32BitKernel && requirement.Flags.Contains("lm")
            ? $"the node runs a 32-bit ({cpu.Architecture}) kernel: KVM cannot run 64-bit guests there"
            : null;
        var state = missing.Count > 0 || vendorMismatch || reason is not null
            ? SupportState.Unsupported
            : unverified.Count > 0 ? SupportState.SupportedUnverified : SupportState.Supported;
        return new SupportCheck(state, missing, [], vendorMismatch, unverified) { Reason = reason, AnsweredByQemu = true };
    }

    /// <summary>
    /// The model under its own name, else under the versioned name it aliases; Proxmox starts Icelake-Client(-noTSX)
    /// as Icelake-Server(-noTSX), which QEMU 7.1 dropped.
    /// </summary>
    private static bool TryFindQemuModel(QemuCpuAnswer qemu, string name, CpuModel? model, out QemuModelAnswer answer)
    {
        if (qemu.TryGetModel(name, out answer))
        {
            return true;
        }

        if (model?.AliasOf is { } alias && qemu.TryGetModel(alias, out answer))
        {
            return true;
        }

        var mapped = name switch
        {
            "Icelake-Client" => "Icelake-Server",
            "Icelake-Client-noTSX" => "Icelake-Server-noTSX",
            _ => null,
        };
        return mapped is not null && qemu.TryGetModel(mapped, out answer);
    }

    /// <summary>
    /// Whether a <c>host</c> (or <c>max</c>) guest sees the same CPU on both nodes: same vendor, family and model, and
    /// the same features. Where both nodes carry QEMU's answer the features are the <c>host</c> expansions (what KVM
    /// really passes through); otherwise the cpuinfo flags.
    /// </summary>
    public static bool SameHostCpu(NodeFacts a, NodeFacts b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Cpu is not { } x || b.Cpu is not { } y || x.VendorId != y.VendorId || x.Family != y.Family || x.Model != y.Model)
        {
            return false;
        }

        return a.Qemu is { } qa && b.Qemu is { } qb ? qa.SameHostFeatures(qb) : x.Flags.SetEquals(y.Flags);
    }

    public bool Equals(NodeCapability? other) =>
        other is not null && Facts.Equals(other.Facts) && Level == other.Level && Equals(BestNamedModel, other.BestNamedModel)
        && SupportedNamedModels.SequenceEqual(other.SupportedNamedModels);

    public override int GetHashCode() => HashCode.Combine(Facts, Level, BestNamedModel);

    /// <summary>
    /// The same capability for another node with an identical CPU (same vendor, kernel, flags and bugs): shares the
    /// memo of model checks, so a 64-node cluster of three CPU types judges each model three times, not 64.
    /// </summary>
    internal NodeCapability ForIdenticalCpu(NodeFacts facts)
    {
        cache.Adopt(facts);
        return this with { Facts = facts };
    }

    private sealed record OfferedFlags(FlagIndex Index, CpuInfo Cpu, KvmFlagList? Kvm, FlagBits Bits);

    /// <summary>
    /// Per-capability memo of model checks, valid for the facts it was filled from and the facts adopted as identical
    /// (a <c>with</c> copy that swaps in other facts starts a fresh memo).
    /// </summary>
    private sealed class CheckCache
    {
        private readonly Lock gate = new();
        private readonly List<NodeFacts> owners = [];
        private ConcurrentDictionary<(string, bool), SupportCheck> map = new();

        public void Adopt(NodeFacts facts)
        {
            lock (gate)
            {
                owners.Add(facts);
            }
        }

        public ConcurrentDictionary<(string, bool), SupportCheck> For(NodeFacts current)
        {
            lock (gate)
            {
                if (!owners.Exists(o => ReferenceEquals(o, current)))
                {
                    if (owners.Count > 0)
                    {
                        map = new ConcurrentDictionary<(string, bool), SupportCheck>();
                        owners.Clear();
                    }

                    owners.Add(current);
                }

                return map;
            }
        }
    }
}
