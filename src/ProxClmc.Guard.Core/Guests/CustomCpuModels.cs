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

    public uint? Level { get; init; }

    /// <summary>The file line of the <c>cpu-model:</c> header.</summary>
    public int Line { get; init; }

    /// <summary>Where <c>reported-model</c> is given (0 when it is not: the default kvm64).</summary>
    public int ReportedModelLine { get; init; }

    public int ReportedModelColumn { get; init; }

    /// <summary>Set when a line Proxmox ignores changes what the model asks of a host: guests using it cannot be judged from it.</summary>
    public ParseError? Error { get; init; }

    /// <summary>Other lines of this model that Proxmox ignores with a warning.</summary>
    public IReadOnlyList<ParseError> IgnoredLines { get; init; } = [];
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
        unresolved.Count == 0
            ? this
            : new CustomCpuModels(Models, unresolved.Where(u => !TryGet(u.Key, out _)).ToDictionary(u => u.Key, u => u.Value, StringComparer.Ordinal))
            {
                Warnings = Warnings,
                Source = Source,
                FileError = FileError,
            };

    /// <summary>
    /// Parses cpu-models.conf the way PVE::SectionConfig reads it (pve-common src/PVE/SectionConfig.pm
    /// parse_config, and qemu-server src/PVE/QemuServer/CPUConfig.pm; commit e6352be6, 2026-08): <c>#</c> lines are
    /// skipped everywhere, a header <c>cpu-model: &lt;name&gt;</c> opens a section, indented <c>key value</c> lines
    /// follow and the first blank line closes it. Proxmox warns about a line it cannot use and ignores that line
    /// only: the rest of the model, and every other model, stays valid. So does this parser: it never fails on
    /// content. An ignored line that changes what a model asks of a host (bad <c>flags</c>, a <c>reported-model</c>
    /// that is not a built-in model, a model defined twice) marks that model <see cref="CustomCpuModel.Error"/>, so
    /// only the guests using it are judged from it; other ignored lines are kept in the model's
    /// <see cref="CustomCpuModel.IgnoredLines"/> (guests get a warning note) or, outside any model, in
    /// <see cref="Warnings"/>. Linear in the file's size.
    /// </summary>
    public static ParseResult<CustomCpuModels> Parse(string text, string source = "cpu-models.conf")
    {
        ArgumentNullException.ThrowIfNull(text);
        source ??= "cpu-models.conf";
        if (text.Length > InputLimits.MaxPmxcfsFileBytes)
        {
            return ParseResult<CustomCpuModels>.Ok(new CustomCpuModels([])
            {
                FileError = new ParseError(source, 0, 0, $"file is larger than pmxcfs allows ({InputLimits.MaxPmxcfsFileBytes} bytes)"),
            });
        }

        var models = new List<CustomCpuModel>();
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        var warnings = new List<ParseError>();
        CustomCpuModel? current = null;
        List<ParseError>? ignored = null;
        HashSet<string>? seenKeys = null;
        var skipping = false;

        void Close()
        {
            if (current is null)
            {
                return;
            }

            current = current with { IgnoredLines = ignored! };
            if (byName.TryGetValue(current.Name, out var first))
            {
                // SectionConfig keeps one of two sections of the same id: which settings a guest gets is unclear.
                var error = new ParseError(source, current.Line, 1,
                    $"model '{current.Name}' is defined twice (lines {models[first].Line} and {current.Line})");
                models[first] = models[first] with { Error = models[first].Error ?? error };
            }
            else
            {
                byName[current.Name] = models.Count;
                models.Add(current);
            }

            current = null;
        }

        var lines = new LineReader(text);
        while (lines.TryRead(out var line))
        {
            var lineNo = lines.LineNumber;

            var trimmed = line.TrimStart(Blanks);
            if (trimmed.StartsWith("#"))
            {
                continue;
            }

            if (trimmed.IsEmpty)
            {
                Close();
                skipping = false;
                continue;
            }

            if (skipping)
            {
                continue;
            }

            if (current is null)
            {
                if (IsBlank(line[0]))
                {
                    warnings.Add(new ParseError(source, lineNo, 1, $"'{Shorten(trimmed.TrimEnd(Blanks))}' is outside any 'cpu-model:' section: Proxmox ignores it"));
                    continue;
                }

                var colon = line.IndexOf(':');
                var type = colon <= 0 ? "" : line[..colon].ToString();
                if (type != "cpu-model")
                {
                    warnings.Add(new ParseError(source, lineNo, 1, colon <= 0
                        ? $"expected a section header 'cpu-model: <name>', got '{Shorten(line.TrimEnd(Blanks))}': Proxmox ignores it"
                        : $"unknown section type '{Shorten(type)}' (expected 'cpu-model'): Proxmox skips the section"));
                    skipping = true;
                    continue;
                }

                var afterColon = line[(colon + 1)..];
                var name = afterColon.Trim(Blanks).ToString();
                if (!ConfigId.IsValid(name))
                {
                    var nameColumn = colon + 2 + (afterColon.Length - afterColon.TrimStart(Blanks).Length);
                    warnings.Add(new ParseError(source, lineNo, nameColumn,
                        $"'{Shorten(name)}' is not a valid model name (a letter, then letters, digits, '-' or '_'): Proxmox skips the section"));
                    skipping = true;
                    continue;
                }

                current = new CustomCpuModel { Name = name, Line = lineNo };
                ignored = [];
                seenKeys = new HashSet<string>(StringComparer.Ordinal);
                continue;
            }

            if (!IsBlank(line[0]))
            {
                // A header right after a section without a blank line: SectionConfig reads it as a property
                // line, which is not indented, so it is ignored and the lines after it still belong to this model.
                ignored!.Add(new ParseError(source, lineNo, 1, $"'{Shorten(line.TrimEnd(Blanks))}' is not an indented property (a new section needs a blank line before it): Proxmox ignores it"));
                continue;
            }

            // An indented `key value` line: ^\s+(\S+)(\s+(.*\S))?\s*$
            var keyStart = line.Length - trimmed.Length;
            var content = trimmed.TrimEnd(Blanks);
            var split = content.IndexOfAny(Blanks);
            var key = (split < 0 ? content : content[..split]).ToString();
            var value = split < 0 ? null : content[split..].TrimStart(Blanks).ToString();
            var valueColumn = split < 0 ? keyStart + 1 : keyStart + 1 + (content.Length - value!.Length);
            ParseError Ignored(int column, string message) => new(source, lineNo, column, message + ": Proxmox ignores this line");
            if (!seenKeys!.Add(key))
            {
                ignored!.Add(Ignored(keyStart + 1, $"'{Shorten(key)}' is given twice in model '{current.Name}'"));
                continue;
            }

            if (value is null)
            {
                ignored!.Add(Ignored(keyStart + 1, $"'{Shorten(key)}' has no value"));
                if (key is "flags" or "reported-model")
                {
                    current = current with { Error = current.Error ?? Ignored(keyStart + 1, $"'{key}' has no value") };
                }

                continue;
            }

            switch (key)
            {
                case "reported-model":
                    current = current with { ReportedModel = value, ReportedModelLine = lineNo, ReportedModelColumn = valueColumn };
                    break;
                case "flags":
                    var flags = GuestCpuFlag.ParseList(value, out var flagError);
                    if (flags is null)
                    {
                        current = current with { Error = current.Error ?? Ignored(valueColumn, "flags: " + flagError) };
                        break;
                    }

                    current = current with { Flags = flags };
                    break;
                case "phys-bits":
                    if (!GuestCpu.IsPhysBits(value))
                    {
                        ignored!.Add(Ignored(valueColumn, $"phys-bits: '{Shorten(value)}' must be an integer between 8 and 64 or 'host'"));
                        break;
                    }

                    current = current with { PhysBits = value };
                    break;
                case "guest-phys-bits":
                    if (!GuestCpu.TryParseUInt(value, out var gpb) || gpb is < 32 or > 64)
                    {
                        ignored!.Add(Ignored(valueColumn, $"guest-phys-bits: '{Shorten(value)}' must be an integer between 32 and 64"));
                        break;
                    }

                    current = current with { GuestPhysBits = gpb };
                    break;
                case "hidden":
                    if (!GuestCpu.TryParseBoolean(value, out var hidden))
                    {
                        ignored!.Add(Ignored(valueColumn, $"hidden: '{Shorten(value)}' is not a boolean (1/on/yes/true or 0/off/no/false)"));
                        break;
                    }

                    current = current with { Hidden = hidden };
                    break;
                case "hv-vendor-id":
                    if (!GuestCpu.IsHvVendorId(value))
                    {
                        ignored!.Add(Ignored(valueColumn, $"hv-vendor-id: '{Shorten(value)}' must be 1 to 12 letters or digits"));
                        break;
                    }

                    current = current with { HvVendorId = value };
                    break;
                case "level":
                    if (!GuestCpu.TryParseLevel(value, out var level))
                    {
                        ignored!.Add(Ignored(valueColumn, $"level: '{Shorten(value)}' must be an integer between 0 and 4294967295"));
                        break;
                    }

                    current = current with { Level = level };
                    break;
                default:
                    // The name comes from the header; a cputype line, like any unknown property, is ignored.
                    ignored!.Add(Ignored(keyStart + 1,
                        $"unknown property '{Shorten(key)}' in model '{current.Name}' (known: reported-model, flags, phys-bits, guest-phys-bits, hidden, hv-vendor-id, level)"));
                    break;
            }
        }

        Close();
        return ParseResult<CustomCpuModels>.Ok(new CustomCpuModels(models) { Warnings = warnings, Source = source });
    }

    /// <summary>The file the models were read from, for messages.</summary>
    public string Source { get; init; } = "cpu-models.conf";

    /// <summary>Lines Proxmox ignores outside any model (they affect no guest).</summary>
    public IReadOnlyList<ParseError> Warnings { get; init; } = [];

    /// <summary>Set when the file itself cannot be used (too large): every custom model is then unknown.</summary>
    public ParseError? FileError { get; init; }

    /// <summary>Hostile files put anything in a line: messages quote at most 80 characters of it.</summary>
    private static string Shorten(ReadOnlySpan<char> text) =>
        text.Length <= 80 ? text.ToString() : string.Concat(text[..77], "...");

    private const string Blanks = " \t\r\f\v";

    private static bool IsBlank(char c) => c is ' ' or '\t' or '\r' or '\f' or '\v';


    /// <summary>Looks up by bare name (without the <c>custom-</c> prefix).</summary>
    public bool TryGet(string name, [NotNullWhen(true)] out CustomCpuModel? model)
    {
        byName ??= Models.GroupBy(m => m.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        return byName.TryGetValue(name, out model);
    }

    private Dictionary<string, CustomCpuModel>? byName;
}
