using System.Text;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.Guests;

/// <summary>One section of a qemu-server config: the main section (<see cref="Name"/> ""), [PENDING], [special:*] or a snapshot.</summary>
public sealed record VmConfigSection(string Name, IReadOnlyList<KeyValuePair<string, string>> Entries, int Line)
{
    /// <summary>The 1-based file line of each entry of <see cref="Entries"/> (same order), for messages.</summary>
    public IReadOnlyList<int> EntryLines { get; init; } = [];

    /// <summary>The value of a key (last one wins, as in Proxmox), or null.</summary>
    public string? Get(string key)
    {
        string? value = null;
        foreach (var entry in Entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.Ordinal))
            {
                value = entry.Value;
            }
        }

        return value;
    }

    /// <summary>The file line of the key's effective (last) entry, or 0 when absent or unknown.</summary>
    public int LineOf(string key)
    {
        var line = 0;
        for (var i = 0; i < Entries.Count; i++)
        {
            if (string.Equals(Entries[i].Key, key, StringComparison.Ordinal))
            {
                line = i < EntryLines.Count ? EntryLines[i] : 0;
            }
        }

        return line;
    }
}

/// <summary>A VM config file (/etc/pve/nodes/&lt;node&gt;/qemu-server/&lt;vmid&gt;.conf) in Proxmox's format.</summary>
/// <remarks>
/// Follows PVE::QemuServer::parse_vm_config line by line. Proxmox reads VM configs non-strictly: a line it cannot
/// use is warned about and skipped, a repeated section replaces the earlier one, an unknown section is skipped
/// whole. <see cref="Parse"/> does the same and reports each such line in <see cref="Warnings"/> (with line and
/// column) instead of failing, because Proxmox itself runs the VM from what is left. <see cref="ParseStrict"/>
/// turns the first warning into the error, like Proxmox's strict mode. Values are not checked against Proxmox's
/// full schema (the <c>cpu</c> value is checked by <see cref="GuestCpu.Parse(string, string)"/> when judged); only
/// boolean options are, since their normalised 0/1 is what <c>kvm</c> and <c>template</c> mean.
/// </remarks>
public sealed record VmConfig
{
    public required VmConfigSection Main { get; init; }

    public VmConfigSection? Pending { get; init; }

    /// <summary>Keys listed by <c>delete:</c> in [PENDING].</summary>
    public IReadOnlyList<string> PendingDeletes { get; init; } = [];

    public IReadOnlyList<VmConfigSection> Snapshots { get; init; } = [];

    /// <summary>[special:cloudinit], [special:fleecing], ...</summary>
    public IReadOnlyList<VmConfigSection> Special { get; init; } = [];

    /// <summary>The description, decoded from the percent-encoded <c>#</c> lines of the main section.</summary>
    public string Description { get; init; } = "";

    /// <summary>Lines Proxmox warns about and skips (unparsable lines, duplicate or unknown sections, bad booleans).</summary>
    public IReadOnlyList<ParseError> Warnings { get; init; } = [];

    // qemu-server's confdesc options of type boolean: check_type normalises them to 1/0 and drops anything else.
    private static readonly HashSet<string> BooleanOptions = new(StringComparer.Ordinal)
    {
        "acpi", "allow-ksm", "autostart", "freeze", "keephugepages", "kvm", "localtime", "numa", "onboot",
        "protection", "reboot", "tablet", "template",
    };

    public static ParseResult<VmConfig> Parse(string text, string source) => Parse(text, source, strict: false);

    /// <summary>Proxmox's strict mode: the first line the lenient parse would warn about is the error.</summary>
    public static ParseResult<VmConfig> ParseStrict(string text, string source) => Parse(text, source, strict: true);

    private sealed class SectionBuilder(string name, int line)
    {
        public string Name { get; } = name;

        public int Line { get; } = line;

        public List<KeyValuePair<string, string>> Entries { get; } = [];

        public List<int> EntryLines { get; } = [];

        public StringBuilder? Description { get; set; }

        /// <summary>A later section of the same name replaced this one.</summary>
        public bool Replaced { get; set; }

        public string? FinishedDescription { get; set; }

        public VmConfigSection Build() => new(Name, Entries, Line) { EntryLines = EntryLines };
    }

    private static ParseResult<VmConfig> Parse(string text, string source, bool strict)
    {
        ArgumentNullException.ThrowIfNull(text);
        source ??= "vm.conf";
        if (text.Length > InputLimits.MaxPmxcfsFileBytes)
        {
            return ParseResult<VmConfig>.Fail(source, 0, 0,
                $"file is larger than pmxcfs allows ({InputLimits.MaxPmxcfsFileBytes} bytes)");
        }

        var warnings = new List<ParseError>();
        var main = new SectionBuilder("", 1);
        SectionBuilder? pending = null;
        var snapshots = new List<SectionBuilder>();
        var snapshotByName = new Dictionary<string, SectionBuilder>(StringComparer.Ordinal);
        var special = new List<SectionBuilder>();
        SectionBuilder? current = main;
        var currentKind = Kind.Main;

        // CRLF files (edited on Windows and copied back): Proxmox's trailing \s* swallows the \r of key lines and
        // headers; the reader drops it once so descriptions do not keep it either.
        var lines = new LineReader(text);
        while (lines.TryRead(out var line))
        {
            var lineNo = lines.LineNumber;

            if (IsBlank(line))
            {
                continue;
            }

            if (line[0] == '[' && TryParseHeader(line, out var header))
            {
                FinishDescription(current);
                if (header.Equals("PENDING", StringComparison.OrdinalIgnoreCase))
                {
                    if (pending is not null)
                    {
                        warnings.Add(new ParseError(source, lineNo, 1, "duplicate section: pending (the later one replaces the earlier)"));
                    }

                    current = pending = new SectionBuilder("PENDING", lineNo);
                    currentKind = Kind.Pending;
                }
                else if (header.StartsWith("special:", StringComparison.OrdinalIgnoreCase)
                         && (header[8..].Equals("cloudinit", StringComparison.OrdinalIgnoreCase)
                             || header[8..].Equals("fleecing", StringComparison.OrdinalIgnoreCase)))
                {
                    var name = header[8..];
                    var existing = special.FindIndex(s => s.Name == name);
                    if (existing >= 0)
                    {
                        special.RemoveAt(existing);
                        warnings.Add(new ParseError(source, lineNo, 1, $"duplicate special section: {name} (the later one replaces the earlier)"));
                    }

                    current = new SectionBuilder(name, lineNo);
                    special.Add(current);
                    currentKind = name.Equals("cloudinit", StringComparison.OrdinalIgnoreCase) ? Kind.CloudInit : Kind.Special;
                }
                else if (ConfigId.IsValid(header))
                {
                    // A dictionary, not a search of the list: a file of a million headers stays linear.
                    if (snapshotByName.Remove(header, out var replaced))
                    {
                        replaced.Replaced = true;
                        warnings.Add(new ParseError(source, lineNo, 1, $"duplicate snapshot section: {header} (the later one replaces the earlier)"));
                    }

                    current = new SectionBuilder(header, lineNo);
                    snapshots.Add(current);
                    snapshotByName[header] = current;
                    currentKind = Kind.Snapshot;
                }
                else
                {
                    warnings.Add(new ParseError(source, lineNo, 1, $"skipping unknown section: '{header}'"));
                    current = null;
                }

                if (strict && warnings.Count > 0)
                {
                    return ParseResult<VmConfig>.Fail(warnings[0]);
                }

                continue;
            }

            if (current is null)
            {
                continue;
            }

            if (line[0] == '#')
            {
                current.Description ??= new StringBuilder();
                current.Description.Append(DecodeText(line[1..])).Append('\n');
                continue;
            }

            var warning = ParseKeyLine(line, lineNo, source, current, currentKind);
            if (warning is not null)
            {
                warnings.Add(warning);
                if (strict)
                {
                    return ParseResult<VmConfig>.Fail(warning);
                }
            }
        }

        FinishDescription(current);

        var pendingSection = pending?.Build();
        var deletes = new List<string>();
        if (pendingSection?.Get("delete") is { } deleteList)
        {
            // PVE::QemuConfig::parse_pending_delete: ',', ';' and spaces separate; a leading '!' means "force".
            foreach (var item in deleteList.Split([',', ';', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                var name = item.StartsWith('!') ? item[1..] : item;
                if (name.Length > 0 && !deletes.Contains(name))
                {
                    deletes.Add(name);
                }
            }
        }

        var config = new VmConfig
        {
            Main = main.Build(),
            Pending = pendingSection,
            PendingDeletes = deletes,
            Snapshots = snapshots.Where(s => !s.Replaced).Select(s => s.Build()).ToArray(),
            Special = special.Select(s => s.Build()).ToArray(),
            Description = main.FinishedDescription ?? "",
            Warnings = warnings,
        };
        return ParseResult<VmConfig>.Ok(config);
    }

    private enum Kind
    {
        Main,
        Pending,
        Snapshot,
        CloudInit,
        Special,
    }

    private static void FinishDescription(SectionBuilder? section)
    {
        if (section?.Description is null)
        {
            return;
        }

        var text = section.Description.ToString();
        var end = text.Length;
        while (end > 0 && (IsSpace(text[end - 1]) || text[end - 1] == '\n'))
        {
            end--;
        }

        // A later [same] section replaces the text; Proxmox keeps only the last description block per section.
        section.FinishedDescription = text[..end];
        section.Description = null;
    }

    private static ParseError? ParseKeyLine(ReadOnlySpan<char> line, int lineNo, string source, SectionBuilder section, Kind kind)
    {
        // ^([a-z][a-z_\-]*\d*):\s*(.+?)\s*$ written out: no regex per line.
        var i = 0;
        if (line.Length == 0 || line[0] is < 'a' or > 'z')
        {
            return SnapstateOrUnparsable(line, lineNo, source, section);
        }

        i++;
        while (i < line.Length && (line[i] is >= 'a' and <= 'z' || line[i] is '_' or '-'))
        {
            i++;
        }

        while (i < line.Length && line[i] is >= '0' and <= '9')
        {
            i++;
        }

        if (i >= line.Length || line[i] != ':')
        {
            return SnapstateOrUnparsable(line, lineNo, source, section);
        }

        var key = line[..i].ToString();
        var rest = line[(i + 1)..];
        var valueStart = 0;
        while (valueStart < rest.Length && IsSpace(rest[valueStart]))
        {
            valueStart++;
        }

        var valueEnd = rest.Length;
        while (valueEnd > valueStart && IsSpace(rest[valueEnd - 1]))
        {
            valueEnd--;
        }

        var valueColumn = i + 2 + valueStart;
        if (key == "description")
        {
            if (valueEnd > valueStart)
            {
                section.Description ??= new StringBuilder();
                section.Description.Append(DecodeText(rest[valueStart..valueEnd]));
            }

            return null;
        }

        // snapstate: is matched anywhere in the line and before every other key (parse_vm_config's order).
        if (FindSnapstate(line) is { } snapstate)
        {
            Add(section, "snapstate", snapstate, lineNo);
            return null;
        }

        if (valueEnd == valueStart)
        {
            if (rest.Length == 0 || key is "args" or "delete")
            {
                return new ParseError(source, lineNo, 1, $"unable to parse config: {Printable(line)}");
            }

            // `boot:  ` matches (.+?) with its last blank: Proxmox keeps a one-space value.
            Add(section, key, rest[^1..].ToString(), lineNo);
            return null;
        }

        var value = rest[valueStart..valueEnd].ToString();
        switch (key)
        {
            case "delete":
                if (kind != Kind.Pending)
                {
                    return new ParseError(source, lineNo, 1, "property 'delete' is only allowed in [PENDING]");
                }

                Add(section, key, value, lineNo);
                return null;
        }

        if (kind != Kind.CloudInit && BooleanOptions.Contains(key))
        {
            if (!GuestCpu.TryParseBoolean(value, out var flag))
            {
                return new ParseError(source, lineNo, valueColumn,
                    $"unable to parse value of '{key}' - type check ('boolean') failed - got '{value}'");
            }

            value = flag ? "1" : "0";
        }

        if (kind != Kind.CloudInit && key == "cdrom")
        {
            key = "ide2";
        }

        Add(section, key, value, lineNo);
        return null;
    }

    private static ParseError? SnapstateOrUnparsable(ReadOnlySpan<char> line, int lineNo, string source, SectionBuilder section)
    {
        if (FindSnapstate(line) is { } snapstate)
        {
            Add(section, "snapstate", snapstate, lineNo);
            return null;
        }

        return new ParseError(source, lineNo, 1, $"unable to parse config: {Printable(line)}");
    }

    /// <summary>
    /// Proxmox's unanchored <c>snapstate:\s*(prepare|delete)\s*$</c>. The match can only end the line, so it is
    /// read backwards from the end once: linear in the line's length whatever the line holds.
    /// </summary>
    private static string? FindSnapstate(ReadOnlySpan<char> line)
    {
        var rest = line.TrimEnd(" \t\f\v\r");
        string word;
        if (rest.EndsWith("prepare", StringComparison.Ordinal))
        {
            word = "prepare";
        }
        else if (rest.EndsWith("delete", StringComparison.Ordinal))
        {
            word = "delete";
        }
        else
        {
            return null;
        }

        var before = rest[..^word.Length].TrimEnd(" \t\f\v\r");
        return before.EndsWith("snapstate:", StringComparison.Ordinal) ? word : null;
    }

    /// <summary>A hostile line quoted in a message: control characters escaped, at most 120 characters.</summary>
    internal static string Printable(ReadOnlySpan<char> line)
    {
        var sb = new StringBuilder(Math.Min(line.Length, 130));
        foreach (var c in line)
        {
            if (sb.Length >= 120)
            {
                sb.Append("...");
                break;
            }

            if (char.IsControl(c))
            {
                sb.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private static void Add(SectionBuilder section, string key, string value, int lineNo)
    {
        section.Entries.Add(new KeyValuePair<string, string>(key, value));
        section.EntryLines.Add(lineNo);
    }

    /// <summary>A header line <c>[name]</c> followed only by blanks; returns the text between the brackets.</summary>
    private static bool TryParseHeader(ReadOnlySpan<char> line, out string name)
    {
        name = "";
        var close = line.IndexOf(']');
        if (close < 0 || !IsBlank(line[(close + 1)..]))
        {
            return false;
        }

        name = line[1..close].ToString();
        return true;
    }

    /// <summary>PVE::Tools::decode_text: %XX to bytes, then the bytes as UTF-8.</summary>
    internal static string DecodeText(ReadOnlySpan<char> text)
    {
        if (text.IndexOf('%') < 0)
        {
            return text.ToString();
        }

        var bytes = new List<byte>(text.Length);
        Span<byte> buffer = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '%' && i + 2 < text.Length
                && char.IsAsciiHexDigit(text[i + 1]) && char.IsAsciiHexDigit(text[i + 2]))
            {
                bytes.Add((byte)Convert.ToInt32(text.Slice(i + 1, 2).ToString(), 16));
                i += 2;
                continue;
            }

            var n = Encoding.UTF8.GetBytes(text.Slice(i, char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? 2 : 1), buffer);
            for (var b = 0; b < n; b++)
            {
                bytes.Add(buffer[b]);
            }

            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length)
            {
                i++;
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsBlank(ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if (!IsSpace(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\f' or '\v';

    /// <summary>The guest as the compliance rules see it.</summary>
    public GuestConfig ToGuest(int vmId, string node, string? digest, string? origin)
    {
        bool? kvm = null;
        if (Main.Get("kvm") is { } kvmText && GuestCpu.TryParseBoolean(kvmText, out var kvmOn))
        {
            kvm = kvmOn;
        }

        var template = Main.Get("template") is { } t && GuestCpu.TryParseBoolean(t, out var isTemplate) && isTemplate;

        return new GuestConfig
        {
            VmId = vmId,
            Node = node,
            Name = Main.Get("name"),
            Type = GuestType.Qemu,
            Status = null,
            Template = template,
            Lock = Main.Get("lock"),
            Tags = SplitList(Main.Get("tags")),
            Cpu = Main.Get("cpu"),
            PendingCpu = Pending?.Get("cpu"),
            PendingCpuDelete = PendingDeletes.Contains("cpu"),
            RunningCpu = Main.Get("runningcpu"),
            Snapshots = Snapshots
                .Select(s => new GuestSnapshot(s.Name, s.Get("cpu"), s.Get("runningcpu"), s.Get("vmstate") is not null))
                .ToArray(),
            Args = Main.Get("args"),
            Kvm = kvm,
            Hookscript = Main.Get("hookscript"),
            OsType = Main.Get("ostype"),
            Arch = Main.Get("arch"),
            Machine = Main.Get("machine"),
            CpuLine = Main.LineOf("cpu"),
            IgnoredLines = Warnings,
            Digest = digest,
            Origin = origin,
        };
    }

    /// <summary>PVE::Tools::split_list: ',', ';' and whitespace separate; empty items vanish.</summary>
    internal static IReadOnlyList<string> SplitList(string? text) =>
        string.IsNullOrEmpty(text)
            ? []
            : text.Split([',', ';', ' ', '\t', '\r', '\n', '\f', '\v'], StringSplitOptions.RemoveEmptyEntries);
}
