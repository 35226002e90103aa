// Generates the CPU catalog embedded in ProxClmc.Guard.Core from the reference tables.
//
//   dotnet run tools/gen-catalog/gen-catalog.cs            (from the repository root)
//   dotnet run tools/gen-catalog/gen-catalog.cs -- <root>  (any other working directory)
//
// Reads  reference/qemu-model-requirements-{7.2.22,10.0.13,11.1.3}.tsv and reference/qemu-to-linux-flags.tsv
// Writes src/ProxClmc.Guard.Core/Catalog/cpu-catalog.tsv and src/ProxClmc.Guard.Core/Catalog/qemu-flag-map.tsv (the
// reviewable tables) and src/ProxClmc.Guard.Core/Catalog/CpuCatalog.Generated.cs (the same rows as C#, compiled in)
//
// tests/ProxClmc.Guard.Core.Tests/Catalog/CatalogMatchesReferenceTests.cs re-derives both tables with the rules below
// and fails when the embedded files and reference/ disagree: change the rules in both places.
//
// Rules:
// - One row per model name, the union over the three QEMU versions. When a model's requirements differ between QEMU
//   versions (QEMU only ever adds flags to an existing versioned model when a kernel/CPU bug fix needs it), the row of
//   the NEWEST QEMU version that knows the model wins; qemu_versions records every version that knows it, so the
//   evaluator can still say "not accepted on this node's QEMU".
// - Proxmox's built-ins are the `pve:` rows. `pve:kvm64(default)` IS the model `kvm64` (Proxmox adds +lahf_lm,+sep to
//   QEMU's kvm64), so it replaces QEMU's plain kvm64 row; `kvm64-v1` stays QEMU's. The other `pve:` rows are the
//   x86-64-v* level models. QEMU's plain qemu64 stays (the fallback level). Proxmox has no x86-64-v1 model.
// - vendor: QEMU's "host vendor (...)" for generic models is written "-".
// - level: the highest of qemu64 < kvm64 < x86-64-v2 < x86-64-v2-AES < x86-64-v3 < x86-64-v4 whose required flags are
//   all required by the model: a host that runs the model runs that level. So a model without aes never reaches v3/v4,
//   as in Proxmox. (Not a chain: kvm64 needs vme, the x86-64-v* models are qemu64-based and do not; a NODE's level is
//   a chain, see NodeCapability.) A model QEMU files under
//   psabi x86-64-v1 that misses even qemu64's flags (kvm64-v1 has no lahf_lm) is given qemu64; a 32-bit model
//   (psabi "-") that misses them is "none".
// - Empty lists are written "-"; lists are space-separated and sorted (ordinal); versions comma-separated, oldest first.
// - Flag map: one row per QEMU feature name and per alias (canonical column names the feature an alias belongs to).
//   The checker_rule column decides: "ignore (provided by KVM...)" -> provided_by_kvm=yes, no host flags;
//   "cannot check ..." or a rule that needs the separate "vmx flags" line -> checkable=no; "require A B" -> flags A B;
//   checker "vendor-rule" ("AMD/Hygon node: require A or B; Intel node: unsupported") -> vendors AuthenticAMD
//   HygonGenuine and flags A B, of which one suffices (KVM derives the feature from either; other vendors never);
//   "require bug X ABSENT" -> bugs_absent X; the forced-off rows (monitor, pdcm, acpi, svm) require their own cpuinfo
//   flag when a model asks for them explicitly. flags_linux6.1 lists what a 6.1 kernel (Proxmox VE 8) can show:
//   "-" when 6.1 does not know a flag that 6.12+ shows (fred, lam, vnmi).

using System.Text;

var root = args.Length > 0 ? args[0] : FindRoot(Environment.CurrentDirectory);
var reference = Path.Combine(root, "reference");
var outDir = Path.Combine(root, "src", "ProxClmc.Guard.Core", "Catalog");

string[] versions = ["7.2.22", "10.0.13", "11.1.3"];
string[] levelOrder = ["qemu64", "kvm64", "x86-64-v2", "x86-64-v2-AES", "x86-64-v3", "x86-64-v4"];

// name -> (row of the newest version seen so far, versions)
var models = new Dictionary<string, (string[] Row, SortedSet<int> Versions)>(StringComparer.Ordinal);
for (var v = 0; v < versions.Length; v++)
{
    var path = Path.Combine(reference, $"qemu-model-requirements-{versions[v]}.tsv");
    var lines = File.ReadAllLines(path);
    var qemuKvm64Seen = false;
    foreach (var line in lines.Skip(1))
    {
        if (line.Length == 0)
        {
            continue;
        }

        var row = line.Split('\t');
        if (row.Length != 7)
        {
            throw new InvalidDataException($"{path}: expected 7 columns: {line}");
        }

        var name = row[0];
        if (name == "kvm64")
        {
            qemuKvm64Seen = true;
            continue; // replaced by pve:kvm64(default)
        }

        if (name.StartsWith("pve:", StringComparison.Ordinal))
        {
            name = name == "pve:kvm64(default)" ? "kvm64" : name["pve:".Length..];
            row[0] = name;
        }

        var set = models.TryGetValue(name, out var existing) ? existing.Versions : [];
        set.Add(v);
        models[name] = (row, set);
    }

    if (!qemuKvm64Seen)
    {
        throw new InvalidDataException($"{path}: no kvm64 row");
    }
}

foreach (var level in levelOrder)
{
    if (!models.ContainsKey(level))
    {
        throw new InvalidDataException($"level model {level} missing from the reference");
    }
}

var levelFlags = levelOrder.Select(l => (Name: l, Flags: Words(models[l].Row[4]).ToHashSet())).ToArray();

var catalog = new StringBuilder();
catalog.Append("# Generated by tools/gen-catalog/gen-catalog.cs from reference/qemu-model-requirements-*.tsv. Do not edit.\n");
catalog.Append("# name\talias_of\tvendor\tlevel\trequired_flags\tbugs_absent\tnot_checkable\tqemu_versions\n");
foreach (var (name, (row, vs)) in models.OrderBy(m => m.Key, StringComparer.Ordinal))
{
    var flags = Words(row[4]).ToHashSet();
    var level = "none";
    foreach (var (levelName, required) in levelFlags)
    {
        if (required.IsSubsetOf(flags))
        {
            level = levelName;
        }
    }

    if (level == "none" && row[3] == "x86-64-v1")
    {
        level = "qemu64";
    }

    var vendor = row[2].StartsWith("host vendor", StringComparison.Ordinal) ? "-" : row[2];
    catalog.Append(string.Join('\t',
        name,
        Dash(row[1]),
        Dash(vendor),
        level,
        List(Words(row[4])),
        List(Words(row[5])),
        List(Words(row[6])),
        string.Join(',', vs.Select(i => versions[i]))));
    catalog.Append('\n');
}

var flagMap = new StringBuilder();
flagMap.Append("# Generated by tools/gen-catalog/gen-catalog.cs from reference/qemu-to-linux-flags.tsv. Do not edit.\n");
flagMap.Append("# qemu_name\tcanonical\tflags_linux6.12\tflags_linux6.1\tcheckable\tprovided_by_kvm\tbugs_absent\tvendors\n");
var seen = new HashSet<string>(StringComparer.Ordinal);
var flagPath = Path.Combine(reference, "qemu-to-linux-flags.tsv");
foreach (var line in File.ReadAllLines(flagPath).Skip(1))
{
    if (line.Length == 0)
    {
        continue;
    }

    var c = line.Split('\t');
    if (c.Length != 13)
    {
        throw new InvalidDataException($"{flagPath}: expected 13 columns: {line}");
    }

    var vendors = new List<string>();
    var (flags, flags61, checkable, provided, bugs) = c[8] == "vendor-rule" ? VendorRule(c[9], vendors) : MapRule(c[5], c[6], c[9]);
    var names = new List<string> { c[0] };
    names.AddRange(c[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    foreach (var n in names)
    {
        if (!seen.Add(n))
        {
            throw new InvalidDataException($"{flagPath}: QEMU feature name {n} appears twice");
        }

        flagMap.Append(string.Join('\t',
            n,
            n == c[0] ? "-" : c[0],
            List(flags),
            List(flags61),
            checkable ? "yes" : "no",
            provided ? "yes" : "no",
            List(bugs),
            List(vendors)));
        flagMap.Append('\n');
    }
}

File.WriteAllText(Path.Combine(outDir, "cpu-catalog.tsv"), catalog.ToString());
File.WriteAllText(Path.Combine(outDir, "qemu-flag-map.tsv"), flagMap.ToString());
File.WriteAllText(Path.Combine(outDir, "CpuCatalog.Generated.cs"), CSharp(catalog.ToString(), flagMap.ToString()));
Console.WriteLine($"cpu-catalog.tsv: {models.Count} models; qemu-flag-map.tsv: {seen.Count} QEMU feature names; CpuCatalog.Generated.cs");
return 0;

// The same two tables as C# code, compiled into the assembly: the running tool never parses the tables.
// tests/ProxClmc.Guard.Core.Tests/Catalog/GeneratedCatalogTests.cs fails when this file and the tables disagree.
static string CSharp(string catalogTsv, string flagMapTsv)
{
    var cs = new StringBuilder();
    cs.Append("// <auto-generated>\n");
    cs.Append("// Generated by tools/gen-catalog/gen-catalog.cs from the same rows as cpu-catalog.tsv and qemu-flag-map.tsv. Do not edit.\n");
    cs.Append("// </auto-generated>\n");
    cs.Append("#nullable enable\n\n");
    cs.Append("namespace ProxClmc.Guard.Core.Catalog;\n\n");
    cs.Append("public sealed partial class CpuCatalog\n{\n");
    // The flag index: every cpuinfo flag a model requires or the feature map names, sorted (ordinal), numbered from 0.
    // Each model's required flags are also written as the 64-bit words of its FlagBits over that index, so the
    // running tool numbers nothing.
    var flagNames = Rows(catalogTsv, 8).SelectMany(c => List(c[4]))
        .Concat(Rows(flagMapTsv, 8).SelectMany(c => List(c[2]).Concat(List(c[3]))))
        .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    var position = flagNames.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i, StringComparer.Ordinal);
    cs.Append("    private static string[] GeneratedFlagIndex() =>\n    [\n");
    foreach (var name in flagNames)
    {
        cs.Append($"        {Str(name)},\n");
    }

    cs.Append("    ];\n\n");
    cs.Append("    private static CpuModel[] GeneratedModels() =>\n    [\n");
    foreach (var c in Rows(catalogTsv, 8))
    {
        var words = new ulong[(flagNames.Count + 63) / 64];
        foreach (var flag in List(c[4]))
        {
            words[position[flag] / 64] |= 1UL << (position[flag] % 64);
        }

        var bits = "[" + string.Join(", ", words.Select(w => $"0x{w:X16}UL")) + "]";
        var level = c[3] switch
        {
            "none" => "None",
            "qemu64" => "Qemu64",
            "kvm64" => "Kvm64",
            "x86-64-v2" => "V2",
            "x86-64-v2-AES" => "V2Aes",
            "x86-64-v3" => "V3",
            "x86-64-v4" => "V4",
            var other => throw new InvalidDataException($"unknown level {other}"),
        };
        cs.Append($"        Model({Str(c[0])}, {OptStr(c[1])}, {OptStr(c[2])}, CpuLevel.{level}, {Arr(c[4], ' ')}, {Arr(c[5], ' ')}, {Arr(c[6], ' ')}, {Arr(c[7], ',')}, {bits}),\n");
    }

    cs.Append("    ];\n\n");
    cs.Append("    private static QemuFlagMapping[] GeneratedFlags() =>\n    [\n");
    foreach (var c in Rows(flagMapTsv, 8))
    {
        cs.Append($"        Flag({Str(c[0])}, {OptStr(c[1])}, {Arr(c[2], ' ')}, {Arr(c[3], ' ')}, {(c[4] == "yes" ? "true" : "false")}, {(c[5] == "yes" ? "true" : "false")}, {Arr(c[6], ' ')}, {Arr(c[7], ' ')}),\n");
    }

    cs.Append("    ];\n}\n");
    return cs.ToString();

    static IEnumerable<string[]> Rows(string tsv, int columns) =>
        tsv.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => l.Split('\t')).Select(c =>
            c.Length == columns ? c : throw new InvalidDataException($"expected {columns} columns: {string.Join('\t', c)}"));

    static string Str(string s) =>
        s.All(ch => ch is >= ' ' and <= '~' and not '"' and not '\\') ? $"\"{s}\"" : throw new InvalidDataException($"unexpected character in {s}");

    static string[] List(string s) => s == "-" ? [] : s.Split(' ');

    static string OptStr(string s) => s == "-" ? "null" : Str(s);

    static string Arr(string s, char separator) =>
        s == "-" ? "[]" : "[" + string.Join(", ", s.Split(separator).Select(Str)) + "]";
}

static (List<string> Flags, List<string> Flags61, bool Checkable, bool Provided, List<string> Bugs) MapRule(
    string linux61, string linux612, string rule)
{
    if (rule.StartsWith("ignore (provided", StringComparison.Ordinal))
    {
        return ([], [], true, true, []);
    }

    if (rule.Contains("cannot check", StringComparison.Ordinal) || rule.Contains("flags:", StringComparison.Ordinal))
    {
        return ([], [], false, false, []);
    }

    var at = rule.LastIndexOf("require ", StringComparison.Ordinal);
    List<string> flags = [];
    List<string> bugs = [];
    if (at >= 0)
    {
        var words = Words(rule[(at + "require ".Length)..]).ToArray();
        for (var i = 0; i < words.Length; i++)
        {
            if (words[i] == "bug" && i + 1 < words.Length)
            {
                bugs.Add(words[++i]);
            }
            else if (words[i] is not ("AND" or "ABSENT") && !words[i].StartsWith('('))
            {
                flags.Add(words[i]);
            }
        }
    }
    else if (rule.StartsWith("ignore for named models", StringComparison.Ordinal))
    {
        flags.Add(linux612);
    }
    else
    {
        throw new InvalidDataException($"unknown checker_rule: {rule}");
    }

    // A directly shown flag that Linux 6.1 does not know yet cannot be seen on a 6.1 kernel.
    var flags61 = flags.Count == 1 && flags[0] == linux612 && linux61.StartsWith('(') ? new List<string>() : flags;
    return (flags, flags61, true, false, bugs);
}

// "AMD/Hygon node: require ssbd or virt_ssbd; Intel node: unsupported": the vendors before " node: require", the
// alternatives after it; vendors named only as "unsupported" are left out.
static (List<string> Flags, List<string> Flags61, bool Checkable, bool Provided, List<string> Bugs) VendorRule(
    string rule, List<string> vendors)
{
    var clause = rule.Split(';')[0];
    var at = clause.IndexOf(" node: require ", StringComparison.Ordinal);
    if (at < 0)
    {
        throw new InvalidDataException($"unknown vendor rule: {rule}");
    }

    foreach (var name in clause[..at].Split('/'))
    {
        vendors.Add(name.Trim() switch
        {
            "AMD" => "AuthenticAMD",
            "Hygon" => "HygonGenuine",
            "Intel" => "GenuineIntel",
            var other => throw new InvalidDataException($"unknown vendor {other} in: {rule}"),
        });
    }

    var flags = clause[(at + " node: require ".Length)..].Split(" or ", StringSplitOptions.TrimEntries).ToList();
    return (flags, flags, true, false, []);
}

static IEnumerable<string> Words(string s) =>
    s.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

static string List(IEnumerable<string> items)
{
    var sorted = items.Distinct().OrderBy(i => i, StringComparer.Ordinal).ToArray();
    return sorted.Length == 0 ? "-" : string.Join(' ', sorted);
}

static string Dash(string s) => string.IsNullOrWhiteSpace(s) ? "-" : s.Trim();

static string FindRoot(string start)
{
    for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "ProxClmc.Guard.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("run from inside the repository (ProxClmc.Guard.sln not found)");
}
