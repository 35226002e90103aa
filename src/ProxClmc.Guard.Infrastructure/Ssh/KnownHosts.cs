using System.Text;

namespace ProxClmc.Guard.Infrastructure.Ssh;

/// <summary>
/// OpenSSH known_hosts files: plain and hashed host lists, <c>[host]:port</c>, <c>@revoked</c> and <c>@cert-authority</c> markers.
/// Like OpenSSH, a line that cannot be read is skipped (and reported in <see cref="Warnings"/>), never fatal.
/// </summary>
public sealed class KnownHosts
{
    private KnownHosts(IReadOnlyList<KnownHostEntry> entries, IReadOnlyList<string> warnings)
    {
        Entries = entries;
        Warnings = warnings;
    }

    public IReadOnlyList<KnownHostEntry> Entries { get; }

    /// <summary>Lines that were skipped, as "file:line: why".</summary>
    public IReadOnlyList<string> Warnings { get; }

    public static KnownHosts Empty { get; } = new([], []);

    /// <summary>Several files read as one, in order.</summary>
    public static KnownHosts Combine(IEnumerable<KnownHosts> parts)
    {
        var list = parts.ToList();
        return list.Count == 1 ? list[0] : new KnownHosts([.. list.SelectMany(p => p.Entries)], [.. list.SelectMany(p => p.Warnings)]);
    }

    public static KnownHosts Parse(string text, string source)
    {
        var entries = new List<KnownHostEntry>();
        var warnings = new List<string>();
        ParseInto(text, source, entries, warnings);
        return new KnownHosts(entries, warnings);
    }

    /// <summary>Reads the files that exist, in order; a missing file is skipped silently, an unreadable one with a warning.</summary>
    public static KnownHosts Load(IEnumerable<string> paths)
    {
        var entries = new List<KnownHostEntry>();
        var warnings = new List<string>();
        foreach (var path in paths)
        {
            string text;
            try
            {
                if (!File.Exists(path))
                {
                    continue;
                }

                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                if (stream.Length > Core.Parsing.InputLimits.MaxConfigBytes * 16L)
                {
                    warnings.Add($"{path}: larger than {Core.Parsing.InputLimits.MaxConfigBytes * 16L} bytes, not read");
                    continue;
                }

                using var reader = new StreamReader(stream, Encoding.UTF8);
                text = reader.ReadToEnd();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                warnings.Add($"{path}: cannot be read ({ex.Message})");
                continue;
            }

            ParseInto(text, path, entries, warnings);
        }

        return new KnownHosts(entries, warnings);
    }

    /// <summary>Key types recorded for any of these hosts (so the client can ask the server for a key it can check).</summary>
    public IReadOnlyList<string> KeyTypesFor(IEnumerable<string> hosts, int port)
    {
        var names = hosts.Select(h => HostKeys.HostKeyName(h, port)).Distinct().ToList();
        return Entries
            .Where(e => e.Marker == KnownHostMarker.None && names.Any(e.Matches))
            .Select(e => e.KeyType)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Checks a presented host key for a host known by any of <paramref name="hosts"/> (its address, and its node name the way
    /// Proxmox uses it as HostKeyAlias) on <paramref name="port"/>.
    /// </summary>
    internal HostKeyCheck Verify(IEnumerable<string> hosts, int port, byte[] keyBlob)
    {
        var keyType = HostKeys.TypeOf(keyBlob) ?? "unknown";
        var fingerprint = HostKeys.Fingerprint(keyBlob);
        var names = hosts.Select(h => HostKeys.HostKeyName(h, port)).Distinct().ToList();
        var matching = Entries.Where(e => e.Marker != KnownHostMarker.CertAuthority && names.Any(e.Matches)).ToList();

        var revoked = matching.FirstOrDefault(e => e.Marker == KnownHostMarker.Revoked && e.KeyBlob.AsSpan().SequenceEqual(keyBlob));
        if (revoked is not null)
        {
            return new HostKeyCheck(HostKeyStatus.Revoked, keyType, fingerprint, revoked);
        }

        var plain = matching.Where(e => e.Marker == KnownHostMarker.None).ToList();
        var trusted = plain.FirstOrDefault(e => e.KeyBlob.AsSpan().SequenceEqual(keyBlob));
        if (trusted is not null)
        {
            return new HostKeyCheck(HostKeyStatus.Trusted, keyType, fingerprint, trusted);
        }

        var other = plain.FirstOrDefault(e => e.KeyType == keyType);
        return other is not null
            ? new HostKeyCheck(HostKeyStatus.Changed, keyType, fingerprint, other)
            : new HostKeyCheck(HostKeyStatus.Unknown, keyType, fingerprint);
    }

    private static void ParseInto(string text, string source, List<KnownHostEntry> entries, List<string> warnings)
    {
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r').Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var index = 0;
            var marker = KnownHostMarker.None;
            if (fields[0].StartsWith('@'))
            {
                switch (fields[0])
                {
                    case "@cert-authority":
                        marker = KnownHostMarker.CertAuthority;
                        break;
                    case "@revoked":
                        marker = KnownHostMarker.Revoked;
                        break;
                    default:
                        warnings.Add($"{source}:{lineNumber}: unknown marker {Printable(fields[0])}, line skipped");
                        continue;
                }

                index = 1;
            }

            if (fields.Length - index < 3)
            {
                warnings.Add($"{source}:{lineNumber}: expected hosts, key type and key, line skipped");
                continue;
            }

            var hostsField = fields[index];
            var keyType = fields[index + 1];
            byte[] blob;
            try
            {
                blob = Convert.FromBase64String(fields[index + 2]);
            }
            catch (FormatException)
            {
                warnings.Add($"{source}:{lineNumber}: key is not valid base64, line skipped");
                continue;
            }

            var blobType = HostKeys.TypeOf(blob);
            if (blobType is null || blobType != keyType)
            {
                warnings.Add($"{source}:{lineNumber}: key does not match its type {Printable(keyType)}, line skipped");
                continue;
            }

            if (hostsField.StartsWith("|1|", StringComparison.Ordinal))
            {
                var parts = hostsField.Split('|');
                if (parts.Length != 4 || !TryBase64(parts[2], out var salt) || !TryBase64(parts[3], out var hash) || hash.Length != 20)
                {
                    warnings.Add($"{source}:{lineNumber}: malformed hashed host entry, line skipped");
                    continue;
                }

                entries.Add(new KnownHostEntry { Source = source, Line = lineNumber, Marker = marker, HashSalt = salt, Hash = hash, KeyType = keyType, KeyBlob = blob });
            }
            else
            {
                var patterns = hostsField.Split(',', StringSplitOptions.RemoveEmptyEntries);
                entries.Add(new KnownHostEntry { Source = source, Line = lineNumber, Marker = marker, Patterns = patterns, KeyType = keyType, KeyBlob = blob });
            }
        }
    }

    private static bool TryBase64(string text, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromBase64String(text);
            return bytes.Length > 0;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }

    private static string Printable(string text)
    {
        var clipped = text.Length > 40 ? text[..40] + "..." : text;
        return new string(clipped.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
