using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ProxClmc.Guard.FakePve;

/// <summary>
/// A qemu-server config file kept as raw lines, edited the way pmxcfs files change: the text is the truth, and the
/// digest is the SHA-1 of exactly that text (so any edit changes the digest, as in Proxmox).
/// </summary>
internal sealed partial class RawVmConfig
{
    private readonly List<Section> _sections = [];

    public RawVmConfig(string text) => Text = text;

    public string Text
    {
        get => string.Concat(_sections.Select(s => s.Render()));
        set
        {
            _sections.Clear();
            var current = new Section("");
            _sections.Add(current);
            foreach (var line in SplitLines(value))
            {
                var header = SectionHeader().Match(line.TrimEnd('\n', '\r'));
                if (header.Success)
                {
                    current = new Section(header.Groups[1].Value) { Header = line };
                    _sections.Add(current);
                }
                else
                {
                    current.Lines.Add(line);
                }
            }
        }
    }

    public string Digest => Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(Text)));

    public IEnumerable<string> SnapshotNames =>
        _sections.Where(s => s.Name.Length > 0 && s.Name != "PENDING" && !s.Name.StartsWith("special:", StringComparison.Ordinal)).Select(s => s.Name);

    public bool HasSection(string name) => _sections.Any(s => s.Name == name);

    /// <summary>Key/value pairs of one section in file order (last one wins), with the description for the main section.</summary>
    public List<KeyValuePair<string, string>> Values(string section)
    {
        var result = new List<KeyValuePair<string, string>>();
        var s = _sections.FirstOrDefault(x => x.Name == section);
        if (s is null)
        {
            return result;
        }

        var description = new StringBuilder();
        foreach (var raw in s.Lines)
        {
            var line = raw.TrimEnd('\n', '\r');
            if (line.StartsWith('#'))
            {
                description.Append(Uri.UnescapeDataString(line[1..])).Append('\n');
                continue;
            }

            var match = KeyLine().Match(line);
            if (match.Success)
            {
                result.RemoveAll(kv => kv.Key == match.Groups[1].Value);
                result.Add(new(match.Groups[1].Value, match.Groups[2].Value));
            }
        }

        // Proxmox loads VM configs non-strictly: a cpu value its validation refuses is warned about and dropped,
        // so every API answer (config, pending, snapshots) lacks it and the VM starts as kvm64. The same
        // validation the tool uses (Core's GuestCpu.VmConfigRejection).
        result.RemoveAll(kv => kv.Key == "cpu" && ProxClmc.Guard.Core.Guests.GuestCpu.VmConfigRejection(kv.Value) is not null);

        if (description.Length > 0 && !result.Any(kv => kv.Key == "description"))
        {
            result.Insert(0, new("description", description.ToString()));
        }

        return result;
    }

    public string? Get(string section, string key) => Values(section).LastOrDefault(kv => kv.Key == key).Value;

    /// <summary>Sets a key in a section, replacing its line or appending one; creates [PENDING] right after the main section.</summary>
    public void Set(string section, string key, string value)
    {
        var s = _sections.FirstOrDefault(x => x.Name == section);
        if (s is null)
        {
            s = new Section(section) { Header = $"[{section}]\n" };
            var main = _sections[0];
            if (main.Lines.Count > 0 && !main.Lines[^1].EndsWith('\n'))
            {
                main.Lines[^1] += "\n";
            }

            if (main.Lines.Count == 0 || main.Lines[^1].Trim().Length > 0)
            {
                main.Lines.Add("\n");
            }

            _sections.Insert(1, s);
        }

        var index = s.Lines.FindLastIndex(l => KeyLine().Match(l.TrimEnd('\n', '\r')) is { Success: true } m && m.Groups[1].Value == key);
        if (index >= 0)
        {
            s.Lines[index] = $"{key}: {value}\n";
            return;
        }

        var insertAt = s.Lines.Count;
        while (insertAt > 0 && s.Lines[insertAt - 1].Trim().Length == 0)
        {
            insertAt--;
        }

        if (insertAt > 0 && !s.Lines[insertAt - 1].EndsWith('\n'))
        {
            s.Lines[insertAt - 1] += "\n";
        }

        s.Lines.Insert(insertAt, $"{key}: {value}\n");
    }

    public void Remove(string section, string key)
    {
        var s = _sections.FirstOrDefault(x => x.Name == section);
        s?.Lines.RemoveAll(l => KeyLine().Match(l.TrimEnd('\n', '\r')) is { Success: true } m && m.Groups[1].Value == key);
        if (s is not null && s.Name == "PENDING" && s.Lines.All(l => l.Trim().Length == 0))
        {
            _sections.Remove(s);
            var main = _sections[0];
            while (main.Lines.Count > 0 && main.Lines[^1].Trim().Length == 0 && _sections.Count == 1)
            {
                main.Lines.RemoveAt(main.Lines.Count - 1);
            }
        }
    }

    /// <summary>Keys listed by <c>delete:</c> in [PENDING] (comma separated, a leading '!' means forced).</summary>
    public List<string> PendingDeletes() =>
        (Get("PENDING", "delete") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(k => k.TrimStart('!')).ToList();

    public void SetPendingDeletes(IReadOnlyCollection<string> keys)
    {
        if (keys.Count == 0)
        {
            Remove("PENDING", "delete");
        }
        else
        {
            Set("PENDING", "delete", string.Join(',', keys));
        }
    }

    private static IEnumerable<string> SplitLines(string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                yield return text[start..(i + 1)];
                start = i + 1;
            }
        }

        if (start < text.Length)
        {
            yield return text[start..];
        }
    }

    [GeneratedRegex(@"^\[([^\]]+)\]\s*$")]
    private static partial Regex SectionHeader();

    [GeneratedRegex(@"^([a-z][a-z_\-]*\d*):\s*(.+?)\s*$")]
    private static partial Regex KeyLine();

    private sealed class Section(string name)
    {
        public string Name { get; } = name;

        public string? Header { get; init; }

        public List<string> Lines { get; } = [];

        public string Render() => (Header ?? "") + string.Concat(Lines);
    }
}
