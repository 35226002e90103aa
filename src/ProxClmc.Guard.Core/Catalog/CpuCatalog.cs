using System.Diagnostics.CodeAnalysis;

namespace ProxClmc.Guard.Core.Catalog;

/// <summary>How a QEMU feature name (as written in <c>flags=</c> or <c>-cpu</c>) shows in /proc/cpuinfo.</summary>
/// <param name="QemuName">The QEMU spelling (md-clear, spec-ctrl, sse4.2).</param>
/// <param name="CpuinfoFlags">The cpuinfo flags a host must show (spec-ctrl -> ibrs, ibpb); empty when not checkable.</param>
/// <param name="Checkable">False when /proc/cpuinfo cannot show the feature (support is then unverified).</param>
/// <param name="ProvidedByKvm">True when KVM supplies it whatever the host shows (x2apic, hypervisor, kvm paravirtual bits).</param>
public sealed record QemuFlagMapping(string QemuName, IReadOnlyList<string> CpuinfoFlags, bool Checkable, bool ProvidedByKvm)
{
    /// <summary>The feature's own QEMU name when <see cref="QemuName"/> is an alias (sse4_1 -> sse4.1); else the same name.</summary>
    public string CanonicalName { get; init; } = QemuName;

    /// <summary>
    /// The flags a Linux 6.1 kernel (Proxmox VE 8) shows for it. Differs from <see cref="CpuinfoFlags"/> (6.12+ names)
    /// only for flags 6.1 does not know yet (fred, lam, vnmi): empty then, so such a host cannot prove the feature.
    /// </summary>
    public IReadOnlyList<string> CpuinfoFlagsLinux61 { get; init; } = CpuinfoFlags;

    /// <summary>Entries of the <c>bugs</c> line that must be absent (rdctl-no needs the host not to have cpu_meltdown).</summary>
    public IReadOnlyList<string> BugsMustBeAbsent { get; init; } = [];

    /// <summary>
    /// Non-empty for a vendor rule: only nodes of these vendors can offer the feature, and there any one of
    /// <see cref="CpuinfoFlags"/> suffices (virt-ssbd: KVM on AMD/Hygon derives it from ssbd; Intel never has it).
    /// </summary>
    public IReadOnlyList<string> Vendors { get; init; } = [];
}

/// <summary>
/// The CPU models Proxmox accepts on QEMU 7.2, 10.0 and 11.1, with their host requirements, generated from
/// reference/ by tools/gen-catalog as C# code (CpuCatalog.Generated.cs): nothing is parsed at run time.
/// </summary>
public sealed partial class CpuCatalog
{
    internal const string CatalogTable = "cpu-catalog.tsv";
    internal const string FlagMapTable = "qemu-flag-map.tsv";

    private static readonly Lazy<CpuCatalog> LazyDefault = new(() => new CpuCatalog(GeneratedModels(), GeneratedFlags(), GeneratedFlagIndex()));

    private readonly Dictionary<string, CpuModel> byName;
    private readonly Dictionary<string, QemuFlagMapping> flagMap;
    private readonly CpuModel?[] byLevel;

    private CpuCatalog(IReadOnlyList<CpuModel> models, IEnumerable<QemuFlagMapping> flags, string[]? flagIndex = null)
    {
        Models = models;
        byName = new Dictionary<string, CpuModel>(StringComparer.Ordinal);
        foreach (var m in models)
        {
            byName[m.Name] = m;
        }

        flagMap = new Dictionary<string, QemuFlagMapping>(StringComparer.Ordinal);
        foreach (var f in flags)
        {
            flagMap[f.QemuName] = f;
        }

        byLevel = new CpuModel?[(int)CpuLevel.V4 + 1];
        foreach (var level in new[] { CpuLevel.Qemu64, CpuLevel.Kvm64, CpuLevel.V2, CpuLevel.V2Aes, CpuLevel.V3, CpuLevel.V4 })
        {
            byLevel[(int)level] = byName.GetValueOrDefault(LevelName(level))
                ?? throw new InvalidDataException($"the CPU catalog has no {LevelName(level)} model");
        }

        // Every flag a model requires or a QEMU feature maps to gets a position; each model's flags are numbered once
        // (the generated catalog brings the sorted names and each model's words, so nothing is looked up here).
        FlagIndex = flagIndex is not null
            ? new FlagIndex(flagIndex)
            : new FlagIndex(models.SelectMany(m => m.RequiredFlags).Concat(flagMap.Values.SelectMany(f => f.CpuinfoFlags.Concat(f.CpuinfoFlagsLinux61))));
        foreach (var m in models)
        {
            if (m.RequiredFlags is NameSet required)
            {
                required.Bind(FlagIndex);
            }
        }

        LevelModels = [byLevel[(int)CpuLevel.Kvm64]!, byLevel[(int)CpuLevel.V2]!, byLevel[(int)CpuLevel.V2Aes]!, byLevel[(int)CpuLevel.V3]!, byLevel[(int)CpuLevel.V4]!];
    }

    /// <summary>The catalog compiled into this assembly.</summary>
    public static CpuCatalog Default => LazyDefault.Value;

    public IReadOnlyList<CpuModel> Models { get; }

    /// <summary>The positions of the cpuinfo flags the catalog knows, for <see cref="FlagBits"/>.</summary>
    public FlagIndex FlagIndex { get; }

    /// <summary>kvm64, x86-64-v2, x86-64-v2-AES, x86-64-v3, x86-64-v4, in that order.</summary>
    public IReadOnlyList<CpuModel> LevelModels { get; }

    /// <summary>QEMU's qemu64, the fallback for nodes that cannot run kvm64.</summary>
    public CpuModel Qemu64 => byLevel[(int)CpuLevel.Qemu64]!;

    /// <summary>Every QEMU feature name the catalog knows (aliases included).</summary>
    public IReadOnlyCollection<QemuFlagMapping> QemuFlags => flagMap.Values;

    /// <summary>The model for a level (kvm64 ... x86-64-v4, qemu64); null for <see cref="CpuLevel.None"/>.</summary>
    public CpuModel? ModelForLevel(CpuLevel level) =>
        level is >= CpuLevel.Qemu64 and <= CpuLevel.V4 ? byLevel[(int)level] : null;

    /// <summary>Finds a model by the name a VM config uses. <c>Icelake-Client(-noTSX)</c> resolves to <c>Icelake-Server(-noTSX)</c> as Proxmox maps it.
    /// <c>host</c> and <c>max</c> are not in the catalog (they are judged by identical-CPU rules).</summary>
    public bool TryGetModel(string name, [NotNullWhen(true)] out CpuModel? model)
    {
        // QEMU 5.2+ dropped Icelake-Client; qemu-server rewrites it to the server model so old VMs keep starting.
        var lookup = name switch
        {
            "Icelake-Client" => "Icelake-Server",
            "Icelake-Client-noTSX" => "Icelake-Server-noTSX",
            _ => name,
        };
        return byName.TryGetValue(lookup, out model);
    }

    /// <summary>Maps a QEMU feature name to cpuinfo flags; null when the catalog does not know the name.</summary>
    public QemuFlagMapping? MapQemuFlag(string qemuName)
    {
        if (flagMap.TryGetValue(qemuName, out var mapping))
        {
            return mapping;
        }

        // QEMU treats '_' and '-' in feature names alike (sse4_2 == sse4-2); the table lists the common spellings only.
        return qemuName.Contains('_', StringComparison.Ordinal) && flagMap.TryGetValue(qemuName.Replace('_', '-'), out mapping)
            ? mapping
            : null;
    }

    /// <summary>"kvm64", "x86-64-v2", ..., "qemu64", or "none". Never "x86-64-v1".</summary>
    public static string LevelName(CpuLevel level) => level switch
    {
        CpuLevel.None => "none",
        CpuLevel.Qemu64 => "qemu64",
        CpuLevel.Kvm64 => "kvm64",
        CpuLevel.V2 => "x86-64-v2",
        CpuLevel.V2Aes => "x86-64-v2-AES",
        CpuLevel.V3 => "x86-64-v3",
        CpuLevel.V4 => "x86-64-v4",
        _ => "none",
    };

    /// <summary>The level named by <see cref="LevelName"/>; false for any other text.</summary>
    public static bool TryParseLevel(string name, out CpuLevel level)
    {
        foreach (var candidate in Enum.GetValues<CpuLevel>())
        {
            if (LevelName(candidate) == name)
            {
                level = candidate;
                return true;
            }
        }

        level = CpuLevel.None;
        return false;
    }

    /// <summary>Builds a catalog from the two generated tables (a test's, or the checked-in ones to compare them with the code).</summary>
    internal static CpuCatalog Load(string catalogTsv, string flagMapTsv) =>
        new(ParseModels(catalogTsv), ParseFlags(flagMapTsv));

    // The generated code calls these two with the columns of one table row each.
    private static CpuModel Model(string name, string? aliasOf, string? vendor, CpuLevel level, string[] required, string[] bugs, string[] notCheckable, string[] versions, ulong[]? requiredBits = null) => new()
    {
        Name = name,
        AliasOf = aliasOf,
        Vendor = vendor,
        Level = level,
        RequiredFlags = new NameSet(required, requiredBits),
        BugsMustBeAbsent = new NameSet(bugs),
        NotCheckable = notCheckable,
        QemuVersions = versions.ToHashSet(StringComparer.Ordinal),
        IsLevelModel = name is "kvm64" or "x86-64-v2" or "x86-64-v2-AES" or "x86-64-v3" or "x86-64-v4",
    };

    private static QemuFlagMapping Flag(string name, string? canonical, string[] flags, string[] flagsLinux61, bool checkable, bool providedByKvm, string[] bugs, string[] vendors) =>
        new(name, flags, checkable, providedByKvm)
        {
            CanonicalName = canonical ?? name,
            CpuinfoFlagsLinux61 = flagsLinux61,
            BugsMustBeAbsent = bugs,
            Vendors = vendors,
        };

    private static List<CpuModel> ParseModels(string tsv)
    {
        var models = new List<CpuModel>();
        var lineNo = 0;
        foreach (var line in tsv.Split('\n'))
        {
            lineNo++;
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var c = line.Split('\t');
            if (c.Length != 8 || !TryParseLevel(c[3], out var level))
            {
                throw new InvalidDataException($"{CatalogTable}:{lineNo}: malformed row");
            }

            models.Add(Model(c[0], Opt(c[1]), Opt(c[2]), level, List(c[4]), List(c[5]), List(c[6]), c[7].Split(',')));
        }

        return models;
    }

    private static List<QemuFlagMapping> ParseFlags(string tsv)
    {
        var flags = new List<QemuFlagMapping>();
        var lineNo = 0;
        foreach (var line in tsv.Split('\n'))
        {
            lineNo++;
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var c = line.Split('\t');
            if (c.Length != 8)
            {
                throw new InvalidDataException($"{FlagMapTable}:{lineNo}: malformed row");
            }

            flags.Add(Flag(c[0], Opt(c[1]), List(c[2]), List(c[3]), c[4] == "yes", c[5] == "yes", List(c[6]), List(c[7])));
        }

        return flags;
    }

    private static string? Opt(string field) => field == "-" ? null : field;

    private static string[] List(string field) =>
        field == "-" ? [] : field.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
