using System.Security.Cryptography;
using System.Text;

namespace ProxClmc.Guard.Infrastructure.Ssh;

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
