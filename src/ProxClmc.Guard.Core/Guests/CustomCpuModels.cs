using System.Diagnostics.CodeAnalysis;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.Guests;

/// <summary>One <c>cpu-model: &lt;name&gt;</c> section of /etc/pve/virtual-guest/cpu-models.conf.</summary>
public sealed record CustomCpuModel
{
    public required string Name { get; init; }

    /// <summary>The QEMU model it is based on (default kvm64).</summary>
    public string ReportedModel { get; init; } = "kvm64";

    public IReadOnlyList<GuestCpuFlag> Flags { get; init; } = [];

    public string? PhysBits { get; init; }

    public int? GuestPhysBits { get; init; }

    public bool? Hidden { get; init; }

    public string? HvVendorId { get; init; }

    public int? Level { get; init; }
}

/// <summary>The cluster's custom CPU models; VMs refer to them as <c>custom-&lt;name&gt;</c>.</summary>
public sealed class CustomCpuModels
{
    public static CustomCpuModels Empty { get; } = new([]);

    public CustomCpuModels(IReadOnlyList<CustomCpuModel> models, IReadOnlyDictionary<string, string>? unresolved = null)
    {
        Models = models;
        UnresolvedModels = unresolved ?? new Dictionary<string, string>(StringComparer.Ordinal);
    }

    public IReadOnlyList<CustomCpuModel> Models { get; }

    /// <summary>
    /// Models known to exist (a node lists them) whose definition could not be read, with the reason: guests using
    /// them are <c>unverified</c>, never <c>unknown-model</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> UnresolvedModels { get; }

    /// <summary>Why a model that exists could not be resolved; null when it is defined here or not known at all.</summary>
    public string? Unresolved(string name) => UnresolvedModels.TryGetValue(name, out var why) ? why : null;

    /// <summary>The same models, plus models known to exist without a readable definition.</summary>
    public CustomCpuModels WithUnresolved(IReadOnlyDictionary<string, string> unresolved) =>
        unresolved.Count == 0 ? this : new CustomCpuModels(Models, unresolved.Where(u => !TryGet(u.Key, out _)).ToDictionary(u => u.Key, u => u.Value, StringComparer.Ordinal));

    /// <summary>
    /// Parses cpu-models.conf the way PVE::SectionConfig reads it: <c>#</c> lines are skipped everywhere, a header
    /// <c>cpu-model: &lt;name&gt;</c> opens a section, indented <c>key value</c> lines follow and the first blank
    /// line closes it. Proxmox only warns about lines it cannot use and drops them; a model silently missing a
    /// setting would be judged wrongly, so here every such line is an error with its line and column.
    /// </summary>
    public static ParseResult<CustomCpuModels> Parse(string text, string source = "cpu-models.conf")
    {
        ArgumentNullException.ThrowIfNull(text);
        source ??= "cpu-models.conf";
        if (text.Length > InputLimits.MaxPmxcfsFileBytes)
        {
            return ParseResult<CustomCpuModels>.Fail(source, 0, 0,
                $"file is larger than pmxcfs allows ({InputLimits.MaxPmxcfsFileBytes} bytes)");
        }

        var models = new List<CustomCpuModel>();
        var lines = text.Split('\n');
        if (lines.Length > 0 && lines[^1].Length == 0)
        {
            lines = lines[..^1];
        }

        CustomCpuModel? current = null;
        HashSet<string>? seenKeys = null;
        var headerLines = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var index = 0; index < lines.Length; index++)
        {
            var lineNo = index + 1;
            var line = lines[index].TrimEnd('\r');
            var trimmed = line.TrimStart(Blanks);
            if (trimmed.StartsWith('#'))
            {
                continue;
            }

            if (trimmed.Length == 0)
            {
                if (current is not null)
                {
                    models.Add(current);
                    current = null;
                }

                continue;
            }

            if (current is null || !IsBlank(line[0]))
            {
                if (IsBlank(line[0]))
                {
                    return Fail(source, lineNo, 1, $"'{trimmed.TrimEnd(Blanks)}' is outside any 'cpu-model:' section");
                }

                if (current is not null)
                {
                    // A header right after a section without a blank line: SectionConfig reads it as a property line.
                    return Fail(source, lineNo, 1, "a new section must be separated from the previous one by a blank line");
                }

                var colon = line.IndexOf(':');
                if (colon <= 0)
                {
                    return Fail(source, lineNo, 1, $"expected a section header 'cpu-model: <name>', got '{line.TrimEnd(Blanks)}'");
                }

                var type = line[..colon];
                var rest = line[(colon + 1)..].Trim(Blanks);
                if (type != "cpu-model")
                {
                    return Fail(source, lineNo, 1, $"unknown section type '{type}' (expected 'cpu-model')");
                }

                var nameColumn = rest.Length == 0 ? colon + 2 : line.IndexOf(rest, colon + 1, StringComparison.Ordinal) + 1;
                if (!ConfigId.IsValid(rest))
                {
                    return Fail(source, lineNo, nameColumn,
                        $"'{rest}' is not a valid model name (a letter, then letters, digits, '-' or '_')");
                }

                if (headerLines.TryGetValue(rest, out var firstLine))
                {
                    return Fail(source, lineNo, nameColumn, $"model '{rest}' is defined twice (first at line {firstLine})");
                }

                headerLines[rest] = lineNo;
                current = new CustomCpuModel { Name = rest };
                seenKeys = new HashSet<string>(StringComparer.Ordinal);
                continue;
            }

            // An indented `key value` line: ^\s+(\S+)(\s+(.*\S))?\s*$
            var keyStart = line.Length - trimmed.Length;
            var content = trimmed.TrimEnd(Blanks);
            var split = content.IndexOfAny(Blanks);
            var key = split < 0 ? content : content[..split];
            var value = split < 0 ? null : content[split..].TrimStart(Blanks);
            var valueColumn = split < 0 ? keyStart + 1 : keyStart + 1 + (content.Length - value!.Length);
            if (!seenKeys!.Add(key))
            {
                return Fail(source, lineNo, keyStart + 1, $"'{key}' is given twice in model '{current.Name}'");
            }

            if (value is null)
            {
                return Fail(source, lineNo, keyStart + 1, $"'{key}' has no value");
            }

            switch (key)
            {
                case "reported-model":
                    current = current with { ReportedModel = value };
                    break;
                case "flags":
                    var flags = GuestCpuFlag.ParseList(value, out var flagError);
                    if (flags is null)
                    {
                        return Fail(source, lineNo, valueColumn, "flags: " + flagError);
                    }

                    current = current with { Flags = flags };
                    break;
                case "phys-bits":
                    if (!GuestCpu.IsPhysBits(value))
                    {
                        return Fail(source, lineNo, valueColumn, $"phys-bits: '{value}' must be an integer between 8 and 64 or 'host'");
                    }

                    current = current with { PhysBits = value };
                    break;
                case "guest-phys-bits":
                    if (!GuestCpu.TryParseUInt(value, out var gpb) || gpb is < 32 or > 64)
                    {
                        return Fail(source, lineNo, valueColumn, $"guest-phys-bits: '{value}' must be an integer between 32 and 64");
                    }

                    current = current with { GuestPhysBits = gpb };
                    break;
                case "hidden":
                    if (!GuestCpu.TryParseBoolean(value, out var hidden))
                    {
                        return Fail(source, lineNo, valueColumn, $"hidden: '{value}' is not a boolean (1/on/yes/true or 0/off/no/false)");
                    }

                    current = current with { Hidden = hidden };
                    break;
                case "hv-vendor-id":
                    if (!GuestCpu.IsHvVendorId(value))
                    {
                        return Fail(source, lineNo, valueColumn, $"hv-vendor-id: '{value}' must be 1 to 12 letters or digits");
                    }

                    current = current with { HvVendorId = value };
                    break;
                case "level":
                    if (!GuestCpu.TryParseUInt(value, out var level))
                    {
                        return Fail(source, lineNo, valueColumn, $"level: '{value}' must be a non-negative integer");
                    }

                    current = current with { Level = level };
                    break;
                case "cputype":
                    // The name comes from the header; Proxmox rejects a cputype line in the file.
                    return Fail(source, lineNo, keyStart + 1, "'cputype' is given by the section header, not as a property");
                default:
                    return Fail(source, lineNo, keyStart + 1,
                        $"unknown property '{key}' (expected reported-model, flags, phys-bits, guest-phys-bits, hidden, hv-vendor-id or level)");
            }
        }

        if (current is not null)
        {
            models.Add(current);
        }

        return ParseResult<CustomCpuModels>.Ok(new CustomCpuModels(models));
    }

    private static readonly char[] Blanks = [' ', '\t', '\r', '\f', '\v'];

    private static bool IsBlank(char c) => c is ' ' or '\t' or '\r' or '\f' or '\v';

    private static ParseResult<CustomCpuModels> Fail(string source, int line, int column, string message) =>
        ParseResult<CustomCpuModels>.Fail(source, line, column, message);

    /// <summary>Looks up by bare name (without the <c>custom-</c> prefix).</summary>
    public bool TryGet(string name, [NotNullWhen(true)] out CustomCpuModel? model)
    {
        model = Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal));
        return model is not null;
    }
}
