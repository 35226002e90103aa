using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace ProxClmc.Guard.Infrastructure.Ssh;

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
