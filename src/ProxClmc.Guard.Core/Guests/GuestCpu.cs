using System.Globalization;
using System.Text;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.Guests;

/// <summary>A <c>+name</c> or <c>-name</c> in <c>flags=</c> (QEMU spelling).</summary>
public sealed record GuestCpuFlag(bool Enabled, string Name)
{
    public override string ToString() => (Enabled ? "+" : "-") + Name;

    /// <summary>
    /// Parses a <c>;</c>-separated flag list as qemu-server's CPUConfig.pm does: every flag must carry its
    /// <c>+</c> or <c>-</c> (<c>([+-])([a-zA-Z0-9\-_\.]+)</c>); a bare name is rejected, not taken as <c>+name</c>.
    /// Returns null and an error message on bad syntax.
    /// </summary>
    public static IReadOnlyList<GuestCpuFlag>? ParseList(string value, out string? error)
    {
        error = null;
        if (value.Length == 0)
        {
            error = "empty flag list";
            return null;
        }

        var flags = new List<GuestCpuFlag>();
        foreach (var part in value.Split(';'))
        {
            if (part.Length < 2 || part[0] is not ('+' or '-') || !IsFlagName(part.AsSpan(1)))
            {
                error = part.Length == 0
                    ? "empty flag between ';'"
                    : part[0] is '+' or '-'
                        ? $"'{part}' is not a valid flag name (letters, digits, '-', '_', '.')"
                        : $"flag '{part}' needs a '+' or '-' in front";
                return null;
            }

            flags.Add(new GuestCpuFlag(part[0] == '+', part[1..]));
        }

        return flags;
    }

    internal static bool IsFlagName(ReadOnlySpan<char> name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// The <c>cpu</c> option of a VM: <c>[[cputype=]&lt;model&gt;][,flags=...][,hidden=..][,hv-vendor-id=..][,phys-bits=..][,guest-phys-bits=..][,level=..]</c>.
/// Unknown keys are kept verbatim; formatting an unchanged value gives back the original bytes.
/// </summary>
public sealed record GuestCpu
{
    /// <summary>The cputype, or null when the string names none (Proxmox then uses kvm64).</summary>
    public string? CpuType { get; init; }

    public IReadOnlyList<GuestCpuFlag> Flags { get; init; } = [];

    public bool? Hidden { get; init; }

    public string? HvVendorId { get; init; }

    /// <summary>"host" or a number of bits.</summary>
    public string? PhysBits { get; init; }

    public int? GuestPhysBits { get; init; }

    /// <summary>CPUID's maximum basic leaf: an unsigned 32-bit integer (CPUConfig.pm: 0 to 4294967295, QEMU's uint32_t).</summary>
    public uint? Level { get; init; }

    /// <summary>Keys this version does not know (a newer Proxmox's), in file order, kept verbatim when rewriting.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> UnknownOptions { get; init; } = [];

    /// <summary>The exact text parsed, and the values it held: Format() returns it while nothing changed.</summary>
    private string? original;
    private GuestCpu? parsed;
    private Dictionary<string, string>? rawValues;

    public static ParseResult<GuestCpu> Parse(string value, string source = "cpu") => Parse(value, source, 1, 1);

    /// <summary>Parses a value that sits at <paramref name="line"/>:<paramref name="column"/> of a file, so errors point there.</summary>
    public static ParseResult<GuestCpu> Parse(string value, string source, int line, int column)
    {
        source ??= "cpu";
        if (value is null || value.Length == 0)
        {
            return ParseResult<GuestCpu>.Fail(source, line, column, "cpu: empty value");
        }

        string? cpuType = null;
        IReadOnlyList<GuestCpuFlag> flags = [];
        bool? hidden = null;
        string? hvVendorId = null;
        string? physBits = null;
        int? guestPhysBits = null;
        uint? level = null;
        var unknown = new List<KeyValuePair<string, string>>();
        var raw = new Dictionary<string, string>(StringComparer.Ordinal);

        var offset = 0;
        foreach (var part in value.Split(','))
        {
            var at = column + offset;
            offset += part.Length + 1;

            // JSONSchema::parse_property_string skips empty parts.
            if (string.IsNullOrWhiteSpace(part))
            {
                continue;
            }

            var eq = part.IndexOf('=');
            string key;
            string val;
            if (eq < 0)
            {
                key = "cputype";
                val = part;
            }
            else if (eq == 0)
            {
                return Fail(source, line, at, $"'{part}' has no key before '='");
            }
            else
            {
                key = part[..eq];
                val = part[(eq + 1)..];
            }

            if (raw.ContainsKey(key))
            {
                return Fail(source, line, at, $"{key}: given twice");
            }

            raw[key] = val;
            var valueAt = eq < 0 ? at : at + eq + 1;

            // parse_property_string's ^([^=]+)=(.+)$ wants a value: "key=" is an error for every key.
            if (val.Length == 0 && key is not ("cputype" or "flags"))
            {
                return Fail(source, line, valueAt, $"{key}: no value after '='");
            }
            switch (key)
            {
                case "cputype":
                    if (val.Length == 0)
                    {
                        return Fail(source, line, valueAt, "cputype: empty model name");
                    }

                    cpuType = val;
                    break;
                case "flags":
                    var parsedFlags = GuestCpuFlag.ParseList(val, out var flagError);
                    if (parsedFlags is null)
                    {
                        return Fail(source, line, valueAt, "flags: " + flagError);
                    }

                    flags = parsedFlags;
                    break;
                case "hidden":
                    if (!TryParseBoolean(val, out var h))
                    {
                        return Fail(source, line, valueAt, $"hidden: '{val}' is not a boolean (1/on/yes/true or 0/off/no/false)");
                    }

                    hidden = h;
                    break;
                case "hv-vendor-id":
                    if (!IsHvVendorId(val))
                    {
                        return Fail(source, line, valueAt, $"hv-vendor-id: '{val}' must be 1 to 12 letters or digits");
                    }

                    hvVendorId = val;
                    break;
                case "phys-bits":
                    if (!IsPhysBits(val))
                    {
                        return Fail(source, line, valueAt, $"phys-bits: '{val}' must be an integer between 8 and 64 or 'host'");
                    }

                    physBits = val;
                    break;
                case "guest-phys-bits":
                    if (!TryParseUInt(val, out var gpb) || gpb is < 32 or > 64)
                    {
                        return Fail(source, line, valueAt, $"guest-phys-bits: '{val}' must be an integer between 32 and 64");
                    }

                    guestPhysBits = gpb;
                    break;
                case "level":
                    if (!TryParseLevel(val, out var lvl))
                    {
                        return Fail(source, line, valueAt, $"level: '{val}' must be an integer between 0 and 4294967295");
                    }

                    level = lvl;
                    break;
                case "reported-model":
                    return Fail(source, line, at, "reported-model: only allowed in a custom CPU model, not in a VM's cpu");
                default:
                    unknown.Add(new KeyValuePair<string, string>(key, val));
                    break;
            }
        }

        var state = new GuestCpu
        {
            CpuType = cpuType,
            Flags = flags,
            Hidden = hidden,
            HvVendorId = hvVendorId,
            PhysBits = physBits,
            GuestPhysBits = guestPhysBits,
            Level = level,
            UnknownOptions = unknown,
        };
        var result = state with { original = value, parsed = state, rawValues = raw };
        return ParseResult<GuestCpu>.Ok(result);
    }

    /// <summary>
    /// The flags a VM's own <c>cpu</c> may name (custom models may use any QEMU flag). Proxmox's list, from
    /// qemu-server's src/PVE/QemuServer/CPUFlags.pm ($supported_vm_specific_cpu_flags_by_arch, x86_64; commit
    /// 4154e623, 2026): matched exactly, so <c>md_clear</c> (underscore) is not <c>md-clear</c>.
    /// </summary>
    public static IReadOnlySet<string> VmAllowedFlags { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "nested-virt", "md-clear", "pcid", "spec-ctrl", "ssbd", "ibpb", "virt-ssbd", "amd-ssbd", "amd-no-ssb",
        "pdpe1gb", "hv-tlbflush", "hv-evmcs", "aes",
    };

    /// <summary>
    /// Why Proxmox refuses a VM's <c>cpu</c> value, or null when it accepts it. Proxmox reads VM configs
    /// non-strictly: a refused value is warned about, the whole <c>cpu</c> key is dropped and the VM starts as
    /// <c>kvm64</c>; <c>PUT .../config</c> answers 400 for the same values. Follows qemu-server's
    /// src/PVE/QemuServer/CPUConfig.pm (validate_vm_cpu_conf, $cpu_fmt; commit e6352be6, 2026-08): the property
    /// string must parse (no unknown key), name a cputype, name a model Proxmox knows (only checked when
    /// <paramref name="isKnownModel"/> is given: the evaluator reports unknown models as such), use only
    /// <see cref="VmAllowedFlags"/>, and carry no <c>reported-model</c>.
    /// </summary>
    public static string? VmConfigRejection(string value, Func<string, bool>? isKnownModel = null)
    {
        var parsed = Parse(value);
        if (!parsed.IsSuccess)
        {
            return parsed.Error.Message;
        }

        var cpu = parsed.Value;
        if (cpu.UnknownOptions.Count > 0)
        {
            return $"unknown key '{cpu.UnknownOptions[0].Key}'";
        }

        if (cpu.CpuType is null)
        {
            return "the value names no CPU model";
        }

        if (isKnownModel is not null && !isKnownModel(cpu.CpuType))
        {
            return cpu.IsCustomModel
                ? $"custom model '{cpu.CpuType["custom-".Length..]}' is not defined"
                : $"built-in cputype '{cpu.CpuType}' is not defined";
        }

        foreach (var flag in cpu.Flags)
        {
            if (!VmAllowedFlags.Contains(flag.Name))
            {
                return $"flag '{flag.Name}' is not allowed in a VM config";
            }
        }

        return null;
    }

    /// <summary>The property string; byte-identical to the parsed input when nothing was changed.</summary>
    public string Format()
    {
        if (original is not null && parsed is not null && SameSettings(parsed))
        {
            return original;
        }

        // PVE::JSONSchema::print_property_string: the default key (cputype) bare and first, then keys sorted.
        var parts = new List<KeyValuePair<string, string>>();
        void Add(string key, string? canonical, bool unchanged)
        {
            if (canonical is null)
            {
                return;
            }

            var text = unchanged && rawValues is not null && rawValues.TryGetValue(key, out var r) ? r : canonical;
            parts.Add(new KeyValuePair<string, string>(key, text));
        }

        Add("flags", Flags.Count == 0 ? null : string.Join(';', Flags), parsed is not null && Flags.SequenceEqual(parsed.Flags));
        Add("hidden", Hidden is null ? null : Hidden.Value ? "1" : "0", parsed is not null && Hidden == parsed.Hidden);
        Add("hv-vendor-id", HvVendorId, parsed is not null && HvVendorId == parsed.HvVendorId);
        Add("phys-bits", PhysBits, parsed is not null && PhysBits == parsed.PhysBits);
        Add("guest-phys-bits", GuestPhysBits?.ToString(CultureInfo.InvariantCulture), parsed is not null && GuestPhysBits == parsed.GuestPhysBits);
        Add("level", Level?.ToString(CultureInfo.InvariantCulture), parsed is not null && Level == parsed.Level);
        foreach (var option in UnknownOptions)
        {
            parts.Add(option);
        }

        parts.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        var sb = new StringBuilder();
        if (CpuType is not null)
        {
            sb.Append(CpuType);
        }

        foreach (var part in parts)
        {
            if (sb.Length > 0)
            {
                sb.Append(',');
            }

            sb.Append(part.Key).Append('=').Append(part.Value);
        }

        return sb.ToString();
    }

    public GuestCpu WithCpuType(string cpuType) => this with { CpuType = cpuType };

    public GuestCpu WithFlags(IEnumerable<GuestCpuFlag> flags) => this with { Flags = flags.ToArray() };

    public GuestCpu WithPhysBits(string? physBits) => this with { PhysBits = physBits };

    /// <summary>The model QEMU gets (kvm64 when none is named).</summary>
    public string EffectiveCpuType => CpuType ?? "kvm64";

    public bool IsCustomModel => CpuType?.StartsWith("custom-", StringComparison.Ordinal) == true;

    public override string ToString() => Format();

    /// <summary>Two values are equal when they hold the same settings, however they were spelled or ordered.</summary>
    public bool Equals(GuestCpu? other) => other is not null && SameSettings(other);

    public override int GetHashCode() =>
        HashCode.Combine(CpuType, Flags.Count, Hidden, HvVendorId, PhysBits, GuestPhysBits, Level, UnknownOptions.Count);

    private bool SameSettings(GuestCpu other) =>
        CpuType == other.CpuType
        && Flags.SequenceEqual(other.Flags)
        && Hidden == other.Hidden
        && HvVendorId == other.HvVendorId
        && PhysBits == other.PhysBits
        && GuestPhysBits == other.GuestPhysBits
        && Level == other.Level
        && UnknownOptions.Count == other.UnknownOptions.Count
        && UnknownOptions.All(o => other.UnknownOptions.Contains(o));

    /// <summary>PVE::JSONSchema::parse_boolean: 1/on/yes/true and 0/off/no/false, any case.</summary>
    internal static bool TryParseBoolean(string value, out bool result)
    {
        switch (value.ToLowerInvariant())
        {
            case "1" or "on" or "yes" or "true":
                result = true;
                return true;
            case "0" or "off" or "no" or "false":
                result = false;
                return true;
            default:
                result = false;
                return false;
        }
    }

    internal static bool IsHvVendorId(string value)
    {
        if (value.Length is < 1 or > 12)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>CPUConfig.pm's parse_phys_bits: <c>^(host|\d{1,2})$</c> and 8..64.</summary>
    internal static bool IsPhysBits(string value) =>
        value == "host" || (value.Length is 1 or 2 && TryParseUInt(value, out var bits) && bits is >= 8 and <= 64);

    /// <summary>CPUConfig.pm's <c>level</c>: integer, minimum 0, maximum 4294967295.</summary>
    internal static bool TryParseLevel(string value, out uint result)
    {
        result = 0;
        if (value.Length is 0 or > 10)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out result);
    }

    internal static bool TryParseUInt(string value, out int result)
    {
        result = 0;
        if (value.Length == 0)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out result);
    }

    private static ParseResult<GuestCpu> Fail(string source, int line, int column, string message) =>
        ParseResult<GuestCpu>.Fail(source, line, column, message);
}
