using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Policy;

namespace ProxClmc.Guard.Core.Compliance;

/// <summary>One <c>+flag</c> of a cluster CPU model, and where each node's offer of it came from.</summary>
/// <param name="Name">The QEMU feature name, as written in <c>flags</c>.</param>
/// <param name="Sources">Node name to <c>qemu</c>, <c>cpuinfo+kvm-flags</c> or <c>cpuinfo</c>.</param>
public sealed record ClusterCpuModelFlag(string Name, IReadOnlyDictionary<string, string> Sources);

/// <summary>A group of features a guest gains over the cluster's level (one line of the explanation).</summary>
public sealed record FeatureGain(string Group, IReadOnlyList<string> Features);

/// <summary>
/// The richest CPU every node of the cluster can run, as a custom model of Proxmox's <c>cpu-models.conf</c>: the
/// best named model all nodes share as <c>reported-model</c> (<c>qemu64</c>, the base of Proxmox's own
/// <c>x86-64-v*</c> models, when the vendors differ), plus every guest-visible feature every node offers that this
/// model lacks. Pure: built from the baseline's node facts and the catalog.
/// </summary>
public sealed record ClusterCpuModel
{
    /// <summary>qemu-server's name rule for a model (pve-manager <c>API2/Cluster/Qemu/CustomCPUModels.pm</c>: format <c>pve-configid</c>, at most 40 characters).</summary>
    private static readonly Regex NameRule = new("^[A-Za-z][A-Za-z0-9_-]{1,39}$", RegexOptions.CultureInvariant);

    /// <summary>
    /// Features QEMU marks unmigratable (target/i386/cpu.c, the feature words' unmigratable flags; reference
    /// qemu-to-linux-flags.tsv: "QEMU marks invtsc unmigratable"): a VM with them cannot be live-migrated at all.
    /// </summary>
    private static readonly HashSet<string> Unmigratable = new(StringComparer.Ordinal) { "invtsc" };

    public required string Name { get; init; }

    public required string ReportedModel { get; init; }

    public required IReadOnlyList<ClusterCpuModelFlag> Flags { get; init; }

    public int? PhysBits { get; init; }

    /// <summary>The cluster's level the gains are counted from (x86-64-v4, ...).</summary>
    public required string OverLevel { get; init; }

    public required IReadOnlyList<FeatureGain> Gains { get; init; }

    /// <summary>Nodes whose offer came from /proc/cpuinfo alone: the model is not verified against their KVM.</summary>
    public required IReadOnlyList<string> UnverifiedNodes { get; init; }

    /// <summary>The <c>flags</c> value: <c>+a;+b;...</c>, sorted.</summary>
    public string FlagsValue => string.Join(';', Flags.Select(f => "+" + f.Name));

    /// <summary>
    /// The section exactly as qemu-server writes it (pve-common <c>SectionConfig.pm</c> write_config: header
    /// <c>type: id</c>, then the set properties sorted by name, each as a tab, key, space, value; a blank line ends it).
    /// </summary>
    public string Section
    {
        get
        {
            var text = new StringBuilder();
            text.Append("cpu-model: ").Append(Name).Append('\n');
            if (Flags.Count > 0)
            {
                text.Append("\tflags ").Append(FlagsValue).Append('\n');
            }

            if (PhysBits is { } bits)
            {
                text.Append("\tphys-bits ").Append(bits.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            text.Append("\treported-model ").Append(ReportedModel).Append('\n');
            text.Append('\n');
            return text.ToString();
        }
    }

    /// <summary>The model as the judge reads it from cpu-models.conf.</summary>
    public CustomCpuModel ToCustomModel() => new()
    {
        Name = Name,
        ReportedModel = ReportedModel,
        Flags = Flags.Select(f => new GuestCpuFlag(true, f.Name)).ToList(),
        PhysBits = PhysBits?.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Accepts <c>NAME</c> or <c>custom-NAME</c>; null with the reason when Proxmox would refuse the name.</summary>
    public static string? NormalizeName(string name, out string? error)
    {
        ArgumentNullException.ThrowIfNull(name);
        var bare = name.StartsWith("custom-", StringComparison.Ordinal) ? name["custom-".Length..] : name;
        if (!NameRule.IsMatch(bare))
        {
            error = $"'{name}' is not a name Proxmox accepts for a CPU model (a letter, then letters, digits, '-' or '_', 2 to 40 characters)";
            return null;
        }

        error = null;
        return bare;
    }

    /// <summary>
    /// The features a cluster model may carry: QEMU features some named model of the catalog needs (QEMU marks a
    /// feature of a named model migratable, and those models run under KVM with enforce, so KVM passes it through),
    /// which KVM does not provide by itself and which belong to no vendor rule. Features /proc/cpuinfo can show are
    /// judged from it where a node has no QEMU facts; the others count only where QEMU (or Proxmox's KVM flag list)
    /// answered.
    /// </summary>
    public static IReadOnlyList<QemuFlagMapping> Candidates(CpuCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var modelFlags = new HashSet<string>(StringComparer.Ordinal);
        var modelOnlyQemu = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in catalog.Models.Where(m => m.Vendor is not null))
        {
            modelFlags.UnionWith(m.RequiredFlags);
            modelOnlyQemu.UnionWith(m.NotCheckable);
        }

        return catalog.QemuFlags
            .Where(f => !Unmigratable.Contains(f.QemuName))
            .Where(f => f.CanonicalName == f.QemuName && !f.ProvidedByKvm && f.Vendors.Count == 0 && f.BugsMustBeAbsent.Count == 0)
            .Where(f => f.Checkable
                ? f.CpuinfoFlags.Count > 0 && f.CpuinfoFlags.All(modelFlags.Contains)
                : modelOnlyQemu.Contains(f.QemuName))
            .OrderBy(f => f.QemuName, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Whether the node offers the feature to a guest, and which source says so: its QEMU's <c>host</c> expansion
    /// where published; else cpuinfo (every flag shown and none masked by Proxmox's KVM flag list), and for a feature
    /// cpuinfo cannot show only that list.
    /// </summary>
    public static string? OfferedBy(NodeCapability node, QemuFlagMapping feature)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(feature);
        if (node.Facts.Cpu is not { } cpu)
        {
            return null;
        }

        if (node.Facts.Qemu is { } qemu)
        {
            return qemu.HostHas(feature.QemuName) ? "qemu" : null;
        }

        var kvm = node.Facts.KvmFlags;
        if (!feature.Checkable)
        {
            return kvm is not null && kvm.Names(feature.QemuName) && kvm.Gives(feature.QemuName) ? "cpuinfo+kvm-flags" : null;
        }

        foreach (var flag in feature.CpuinfoFlags)
        {
            if (!cpu.Flags.Contains(flag) || kvm?.Masks(flag) == true)
            {
                return null;
            }
        }

        return kvm is null ? "cpuinfo" : "cpuinfo+kvm-flags";
    }

    /// <summary>Does the catalog model already carry the feature (so a <c>+flag</c> adds nothing)?</summary>
    public static bool ModelHas(CpuModel model, QemuFlagMapping feature)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(feature);
        return feature.Checkable
            ? feature.CpuinfoFlags.All(model.RequiredFlags.Contains)
            : model.NotCheckable.Contains(feature.QemuName, StringComparer.Ordinal);
    }

    /// <summary>
    /// Builds the model for the readable nodes of <paramref name="baseline"/>. The reported model is the best named
    /// model every node runs verified (so the model is never "unverified" because of its base), else <c>qemu64</c>.
    /// </summary>
    public static ClusterCpuModel Build(string name, ClusterBaseline baseline, CpuCatalog catalog, bool withPhysBits)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(catalog);
        var nodes = baseline.Nodes.Where(n => n.IsReadable).ToList();
        var reported = ReportedModelFor(nodes, baseline, catalog);

        var flags = new List<ClusterCpuModelFlag>();
        if (nodes.Count > 0)
        {
            foreach (var feature in Candidates(catalog))
            {
                if (ModelHas(reported, feature))
                {
                    continue;
                }

                var sources = new SortedDictionary<string, string>(StringComparer.Ordinal);
                foreach (var node in nodes)
                {
                    if (OfferedBy(node, feature) is not { } source)
                    {
                        sources.Clear();
                        break;
                    }

                    sources[node.Node] = source;
                }

                if (sources.Count == nodes.Count)
                {
                    flags.Add(new ClusterCpuModelFlag(feature.QemuName, sources));
                }
            }
        }

        var model = new ClusterCpuModel
        {
            Name = name,
            ReportedModel = reported.Name,
            Flags = flags,
            PhysBits = withPhysBits ? baseline.MinPhysBits : null,
            OverLevel = CpuCatalog.LevelName(baseline.Level),
            Gains = [],
            UnverifiedNodes = nodes.Where(n => n.Facts.Qemu is null).Select(n => n.Node).ToList(),
        };
        return model with { Gains = GainsOver(model, catalog.ModelForLevel(baseline.Level), catalog) };
    }

    /// <summary>
    /// Judges a guest with <c>cpu: custom-NAME</c> on every node exactly as <c>scan</c> would, and drops any flag a
    /// node refuses (QEMU's answer can be stricter than the offer read from it), until the judgement is <c>ok</c>.
    /// </summary>
    public ClusterCpuModel Verified(ClusterBaseline baseline, CpuCatalog catalog, GuardPolicy policy, out GuestVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(catalog);
        var current = this;
        for (var round = 0; ; round++)
        {
            verdict = current.Judge(baseline, catalog, policy);
            var refused = verdict.Fits.Where(f => f.IsRefused).SelectMany(f => f.MissingFlags).ToHashSet(StringComparer.Ordinal);
            if (verdict.Verdict == Verdict.Ok || refused.Count == 0 || round > 4)
            {
                return current;
            }

            var kept = current.Flags.Where(f => !refused.Contains(f.Name) && !(catalog.MapQemuFlag(f.Name)?.CpuinfoFlags.Any(refused.Contains) ?? false)
                && !refused.Any(r => Facts.QemuCpuAnswer.Canonical(r) == Facts.QemuCpuAnswer.Canonical(f.Name))).ToList();
            if (kept.Count == current.Flags.Count)
            {
                return current;
            }

            current = current with { Flags = kept };
            current = current with { Gains = GainsOver(current, catalog.ModelForLevel(baseline.Level), catalog) };
        }
    }

    /// <summary>The verdict <c>scan</c> gives a guest on the first node with <c>cpu: custom-NAME</c>.</summary>
    public GuestVerdict Judge(ClusterBaseline baseline, CpuCatalog catalog, GuardPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        var models = new CustomCpuModels([ToCustomModel()]);
        var node = baseline.Nodes.FirstOrDefault(n => n.IsReadable)?.Node ?? "";
        var guest = new GuestConfig { VmId = 0, Node = node, Cpu = "custom-" + Name, Origin = "--custom-model" };
        return new ComplianceEvaluator(baseline, catalog, policy, models).Evaluate(guest);
    }

    private static CpuModel ReportedModelFor(List<NodeCapability> nodes, ClusterBaseline baseline, CpuCatalog catalog)
    {
        if (baseline.SharedVendor is { } vendor && nodes.Count > 0)
        {
            foreach (var candidate in nodes[0].SupportedNamedModels.Where(m => m.Vendor == vendor))
            {
                var requirement = CpuRequirement.FromModel(candidate);
                if (nodes.TrueForAll(n => n.Check(requirement).State == SupportState.Supported))
                {
                    return candidate;
                }
            }
        }

        // qemu-server's x86-64-v* models are qemu64 plus flags (CPUConfig.pm, builtin models): the same base here.
        return catalog.Qemu64;
    }

    private static IReadOnlyList<FeatureGain> GainsOver(ClusterCpuModel model, CpuModel? level, CpuCatalog catalog)
    {
        catalog.TryGetModel(model.ReportedModel, out var reported);
        var added = model.Flags.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var gained = Candidates(catalog)
            .Where(f => added.Contains(f.QemuName) || (reported is not null && ModelHas(reported, f)))
            .Where(f => level is null || !ModelHas(level, f))
            .Select(f => f.QemuName);
        return gained
            .GroupBy(GroupOf)
            .OrderBy(g => Array.IndexOf(GroupOrder, g.Key))
            .Select(g => new FeatureGain(g.Key, g.Order(StringComparer.Ordinal).ToList()))
            .ToList();
    }

    private static readonly string[] GroupOrder =
        ["crypto and hashing", "AVX-512", "AVX and vector", "bit manipulation", "random numbers", "cache and memory", "speculation controls", "other"];

    /// <summary>A plain-language group for a QEMU feature name.</summary>
    public static string GroupOf(string feature)
    {
        ArgumentNullException.ThrowIfNull(feature);
        return feature switch
        {
            "aes" or "sha-ni" or "vaes" or "vpclmulqdq" or "gfni" or "pclmulqdq" or "sha512" or "sm3" or "sm4" => "crypto and hashing",
            _ when feature.StartsWith("avx512", StringComparison.Ordinal) => "AVX-512",
            _ when feature.StartsWith("avx", StringComparison.Ordinal) || feature is "f16c" or "fma" or "fma4" or "xop" or "sse4a" or "amx-bf16" or "amx-int8" or "amx-tile" or "amx-fp16" => "AVX and vector",
            "bmi1" or "bmi2" or "abm" or "adx" or "popcnt" or "movbe" or "tbm" or "lzcnt" => "bit manipulation",
            "rdrand" or "rdseed" => "random numbers",
            "clwb" or "clflushopt" or "clzero" or "wbnoinvd" or "pku" or "la57" or "pdpe1gb" or "invpcid" or "pcid" or "fsrm" or "erms" or "movdiri" or "movdir64b"
                or "fsgsbase" or "xsavec" or "xsaveopt" or "xsaves" or "xgetbv1" or "3dnowprefetch" or "fzlm" or "fsrs" or "fsrc" or "serialize" or "cldemote" or "umip" => "cache and memory",
            _ when feature.Contains("ssbd", StringComparison.Ordinal) || feature.Contains("ibrs", StringComparison.Ordinal) || feature.Contains("ibpb", StringComparison.Ordinal)
                || feature.Contains("stibp", StringComparison.Ordinal) || feature is "md-clear" or "spec-ctrl" or "arch-capabilities" or "flush-l1d" or "amd-psfd" => "speculation controls",
            _ => "other",
        };
    }
}
