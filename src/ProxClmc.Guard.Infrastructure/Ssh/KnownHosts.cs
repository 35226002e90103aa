using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace ProxClmc.Guard.Infrastructure.Ssh;

public enum KnownHostMarker
{
    None,

    /// <summary><c>@cert-authority</c>: a CA key for host certificates. Proxmox does not use host certificates; such lines are kept but never trust a plain key.</summary>
    CertAuthority,

    /// <summary><c>@revoked</c>: this key must never be accepted.</summary>
    Revoked,
}

/// <summary>One line of an OpenSSH known_hosts file.</summary>
public sealed record KnownHostEntry
{
    public required string Source { get; init; }

    public required int Line { get; init; }

    public KnownHostMarker Marker { get; init; }

    /// <summary>Host patterns of a plain entry (may hold <c>*</c>, <c>?</c>, <c>!negation</c>, <c>[host]:port</c>); empty for a hashed entry.</summary>
    public IReadOnlyList<string> Patterns { get; init; } = [];

    /// <summary>Salt and HMAC-SHA1 of a hashed entry (<c>|1|salt|hash</c>, written by <c>ssh-keygen -H</c> or <c>HashKnownHosts yes</c>).</summary>
    public byte[]? HashSalt { get; init; }

    public byte[]? Hash { get; init; }

    /// <summary>The key type as written (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...).</summary>
    public required string KeyType { get; init; }

    /// <summary>The public key in SSH wire format.</summary>
    public required byte[] KeyBlob { get; init; }

    public string Location => $"{Source}:{Line}";

    /// <summary>Does this entry name <paramref name="host"/> (already in known_hosts form: <c>name</c> or <c>[name]:port</c>)?</summary>
    public bool Matches(string host)
    {
        if (HashSalt is not null && Hash is not null)
        {
            var computed = HMACSHA1.HashData(HashSalt, Encoding.UTF8.GetBytes(host));
            return CryptographicOperations.FixedTimeEquals(computed, Hash);
        }

        var matched = false;
        foreach (var pattern in Patterns)
        {
            if (pattern.StartsWith('!'))
            {
                if (WildcardMatch(pattern[1..], host))
                {
                    return false;
                }
            }
            else if (WildcardMatch(pattern, host))
            {
                matched = true;
            }
        }

        return matched;
    }

    private static bool WildcardMatch(string pattern, string text)
    {
        // OpenSSH's match_pattern: '*' any run, '?' one character, case-insensitive for host names.
        int p = 0, t = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(text[t])))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starT = t;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                t = ++starT;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}

internal enum HostKeyStatus
{
    Trusted,
    Unknown,

    /// <summary>A key of the same type is recorded for this host and differs: OpenSSH's "REMOTE HOST IDENTIFICATION HAS CHANGED".</summary>
    Changed,
    Revoked,
}

/// <summary>The answer for one presented host key; <see cref="Entry"/> is the line that trusted, revoked or contradicts it.</summary>
internal sealed record HostKeyCheck(HostKeyStatus Status, string KeyType, string Fingerprint, KnownHostEntry? Entry = null)
{
    /// <summary>"ED25519 SHA256:..." as OpenSSH prints a key.</summary>
    public string KeyDescription => $"{HostKeys.DisplayType(KeyType)} {Fingerprint}";
}

/// <summary>Host key helpers: fingerprints and key types in OpenSSH's spelling.</summary>
public static class HostKeys
{
    /// <summary>"SHA256:" and unpadded base64 of the SHA-256 of the key blob, as <c>ssh-keygen -l</c> prints it.</summary>
    public static string Fingerprint(ReadOnlySpan<byte> keyBlob) =>
        "SHA256:" + Convert.ToBase64String(SHA256.HashData(keyBlob)).TrimEnd('=');

    /// <summary>The key type named inside a wire-format blob (the first SSH string), or null if the blob is malformed.</summary>
    public static string? TypeOf(ReadOnlySpan<byte> keyBlob)
    {
        if (keyBlob.Length < 4)
        {
            return null;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(keyBlob);
        if (length == 0 || length > 64 || length > (uint)(keyBlob.Length - 4))
        {
            return null;
        }

        var name = keyBlob.Slice(4, (int)length);
        foreach (var b in name)
        {
            if (b < 0x21 || b > 0x7e)
            {
                return null;
            }
        }

        return Encoding.ASCII.GetString(name);
    }

    /// <summary>ED25519, RSA, ECDSA, ... as OpenSSH names key types in messages.</summary>
    public static string DisplayType(string keyType) => keyType switch
    {
        "ssh-ed25519" => "ED25519",
        "ssh-rsa" => "RSA",
        "ssh-dss" => "DSA",
        _ when keyType.StartsWith("ecdsa-sha2-", StringComparison.Ordinal) => "ECDSA",
        _ when keyType.StartsWith("sk-ssh-ed25519", StringComparison.Ordinal) => "ED25519-SK",
        _ when keyType.StartsWith("sk-ecdsa-", StringComparison.Ordinal) => "ECDSA-SK",
        _ => keyType,
    };

    /// <summary>The SSH host key algorithms that present a key of this type (RSA keys sign with rsa-sha2-512/256 since OpenSSH 8.8).</summary>
    public static IEnumerable<string> AlgorithmsFor(string keyType) => keyType switch
    {
        "ssh-rsa" => ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
        _ => [keyType],
    };

    /// <summary>How a host is written in known_hosts: <c>name</c> on port 22, <c>[name]:port</c> otherwise; IP addresses in canonical form.</summary>
    public static string HostKeyName(string host, int port)
    {
        var name = host.Trim();
        if (name.StartsWith('[') && name.EndsWith(']'))
        {
            name = name[1..^1];
        }

        if (IPAddress.TryParse(name, out var ip))
        {
            name = ip.ToString();
        }
        else
        {
            name = name.ToLowerInvariant();
        }

        return port == 22 ? name : $"[{name}]:{port}";
    }
}

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
