using ProxClmc.Guard.Core.Catalog;

namespace ProxClmc.Guard.Core.Facts;

/// <summary>One entry of Proxmox's cluster-wide CPU flag list: a QEMU flag name and the nodes whose KVM can give it.</summary>
public sealed record KvmFlagEntry(string Name, IReadOnlyList<string> SupportedOn);

/// <summary>
/// What Proxmox itself knows about one node's KVM: <c>GET /cluster/qemu/cpu-flags?accel=kvm</c> (pve-manager 9.1.15+,
/// PVE/API2/Cluster/Qemu/CPUFlags.pm, commit 6ed37d55; qemu-server 9.1.13+, src/PVE/QemuServer/CPUFlags.pm
/// query_available_cpu_flags, commit aba97f99). Read from that source (qemu-server e6352be6, pve-manager 14a22df3):
/// <list type="bullet">
/// <item>The list is every flag the answering node's QEMU recognises (pve-qemu-kvm's
/// /usr/share/kvm/recognized-CPUID-flags-x86_64, the "Recognized CPUID flags" of <c>-cpu help</c>), not only the flags a
/// VM config may set, plus Proxmox's own <c>nested-virt</c>.</item>
/// <item>A node is in a flag's <c>supported-on</c> when the flags pvestatd broadcast for it (<c>cpuflags-kvm</c> in the
/// node key-value store) hold it: the true properties of <c>query-cpu-model-expansion</c> (type full) of <c>host</c>
/// under KVM, in QEMU spelling (pve-manager PVE/Service/pvestatd.pm update_supported_cpuflags, qemu-server
/// QemuServer.pm query_supported_cpu_flags). That is what KVM on the node can give a guest, so a flag the CPU has but
/// KVM masks is not there.</item>
/// <item>pvestatd refreshes it only when the node's QEMU version changes (or pvestatd restarts), and broadcasts nothing
/// when its query failed: a node in no list at all has told Proxmox nothing, which is not "lacks everything".</item>
/// </list>
/// So the list is a partial source: where it names a flag, it says whether KVM on the node gives it; it says nothing
/// about flags the answering node's QEMU does not recognise, nothing about which models the node's QEMU knows, and it
/// carries no date. It sharpens a cpuinfo judgement (a flag cpuinfo shows but KVM does not give is missing; a feature
/// cpuinfo cannot show is confirmed or refused) but never makes a flag cpuinfo lacks available.
/// </summary>
public sealed class KvmFlagList
{
    private readonly HashSet<string> _listed;
    private readonly HashSet<string> _gives;
    private readonly HashSet<string> _lackedCpuinfo;

    private KvmFlagList(string origin, HashSet<string> listed, HashSet<string> gives, HashSet<string> lackedCpuinfo)
    {
        Origin = origin;
        _listed = listed;
        _gives = gives;
        _lackedCpuinfo = lackedCpuinfo;
        Key = string.Join(' ', gives.Order(StringComparer.Ordinal)) + "|" + string.Join(' ', lackedCpuinfo.Order(StringComparer.Ordinal)) + "|" + listed.Count;
    }

    /// <summary>Where the list came from, e.g. "api:/cluster/qemu/cpu-flags?accel=kvm".</summary>
    public string Origin { get; }

    /// <summary>How many flags the answer names (the answering node's QEMU's recognised flags).</summary>
    public int ListedCount => _listed.Count;

    /// <summary>How many of them KVM on this node gives.</summary>
    public int GivenCount => _gives.Count;

    /// <summary>The cpuinfo flags (Linux names) this node shows but KVM there does not give, sorted.</summary>
    public IReadOnlyList<string> MaskedCpuinfoFlags => _lackedCpuinfo.Order(StringComparer.Ordinal).ToList();

    /// <summary>Equal for two nodes whose lists say the same (lets identical nodes share one judgement).</summary>
    public string Key { get; }

    /// <summary>True when the answer names the QEMU feature, so it says whether this node's KVM gives it.</summary>
    public bool Names(string qemuFeature) => _listed.Contains(QemuCpuAnswer.Canonical(qemuFeature));

    /// <summary>True when the answer lists this node for the QEMU feature.</summary>
    public bool Gives(string qemuFeature) => _gives.Contains(QemuCpuAnswer.Canonical(qemuFeature));

    /// <summary>True when the answer says KVM on this node cannot give the feature behind this cpuinfo flag (Linux name).</summary>
    public bool Masks(string cpuinfoFlag) => _lackedCpuinfo.Contains(cpuinfoFlag);

    /// <summary>
    /// The list for one node, or null when the node is in no flag's <c>supported-on</c> (pvestatd has broadcast nothing
    /// for it: no KVM, a failed query, or never started). <paramref name="cpuinfoFlags"/> is the node's own cpuinfo
    /// flags line: a flag is masked when the node shows it, the answer names a QEMU feature that is exactly that flag,
    /// and neither that feature nor any other the node is given stands for it.
    /// </summary>
    public static KvmFlagList? ForNode(string node, IEnumerable<KvmFlagEntry> entries, IReadOnlySet<string> cpuinfoFlags, IReadOnlyCollection<QemuFlagMapping> flagMap, string origin)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(cpuinfoFlags);
        ArgumentNullException.ThrowIfNull(flagMap);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        var gives = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            // nested-virt is Proxmox's shorthand for svm or vmx, not a QEMU feature.
            if (entry is null || string.IsNullOrEmpty(entry.Name) || entry.Name == "nested-virt")
            {
                continue;
            }

            var name = QemuCpuAnswer.Canonical(entry.Name);
            listed.Add(name);
            if (entry.SupportedOn.Contains(node, StringComparer.Ordinal))
            {
                gives.Add(name);
            }
        }

        if (gives.Count == 0)
        {
            return null;
        }

        var byName = new Dictionary<string, QemuFlagMapping>(StringComparer.Ordinal);
        foreach (var mapping in flagMap)
        {
            byName.TryAdd(QemuCpuAnswer.Canonical(mapping.QemuName), mapping);
        }

        // Linux names that some given feature accounts for (spec-ctrl gives ibrs and ibpb): never masked.
        var covered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in gives)
        {
            if (byName.TryGetValue(name, out var mapping))
            {
                covered.UnionWith(mapping.CpuinfoFlags);
                covered.UnionWith(mapping.CpuinfoFlagsLinux61);
            }
        }

        var lacked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in listed)
        {
            if (gives.Contains(name) || !byName.TryGetValue(name, out var mapping) || !mapping.Checkable || mapping.ProvidedByKvm
                || mapping.Vendors.Count > 0 || mapping.CpuinfoFlags.Count != 1)
            {
                continue;
            }

            var flag = mapping.CpuinfoFlags[0];
            if (cpuinfoFlags.Contains(flag) && !covered.Contains(flag))
            {
                lacked.Add(flag);
            }
        }

        return new KvmFlagList(origin, listed, gives, lacked);
    }
}
