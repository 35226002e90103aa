using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace ProxClmc.Guard.Infrastructure.Ssh.Wire;

/// <summary>
/// An unencrypted client private key for publickey authentication (RFC 4252 section 7): OpenSSH's openssh-key-v1 format
/// with one ed25519, RSA or ECDSA key, or a PEM RSA key. Anything else (an encrypted key, another format) is not
/// parsed here, and the caller falls back to the general client, which gives today's messages for it.
/// </summary>
internal sealed class SshClientKey : IDisposable
{
    private readonly byte[]? _ed25519Seed;
    private readonly RSA? _rsa;
    private readonly ECDsa? _ecdsa;
    private readonly HashAlgorithmName _ecdsaHash;
    private readonly int _ecdsaSize;
    private readonly Lock _lock = new();

    private SshClientKey(string signatureAlgorithm, byte[] publicBlob, byte[]? ed25519Seed = null, RSA? rsa = null, ECDsa? ecdsa = null, HashAlgorithmName ecdsaHash = default, int ecdsaSize = 0)
    {
        SignatureAlgorithm = signatureAlgorithm;
        PublicBlob = publicBlob;
        _ed25519Seed = ed25519Seed;
        _rsa = rsa;
        _ecdsa = ecdsa;
        _ecdsaHash = ecdsaHash;
        _ecdsaSize = ecdsaSize;
    }

    /// <summary>The algorithm named in the request: ssh-ed25519, rsa-sha2-512 (RFC 8332; OpenSSH accepts it without ext-info) or ecdsa-sha2-*.</summary>
    public string SignatureAlgorithm { get; }

    /// <summary>The public key in SSH wire format.</summary>
    public byte[] PublicBlob { get; }

    /// <summary>The signature blob (string algorithm, string signature) of <paramref name="data"/>.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        var writer = new SshWriter(600).String(SignatureAlgorithm);
        if (_ed25519Seed is not null)
        {
            return writer.String(LibCrypto.Ed25519Sign(_ed25519Seed, data)).ToArray();
        }

        // One key object may serve several connections at once; the runtime does not promise concurrent signing.
        lock (_lock)
        {
            if (_rsa is not null)
            {
                return writer.String(_rsa.SignData(data, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1)).ToArray();
            }

            var rs = _ecdsa!.SignData(data, _ecdsaHash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            var inner = new SshWriter(150).Mpint(rs.AsSpan(0, _ecdsaSize)).Mpint(rs.AsSpan(_ecdsaSize));
            return writer.String(inner.Written).ToArray();
        }
    }

    public void Dispose()
    {
        if (_ed25519Seed is not null)
        {
            CryptographicOperations.ZeroMemory(_ed25519Seed);
        }

        _rsa?.Dispose();
        _ecdsa?.Dispose();
    }

    /// <summary>The key in <paramref name="file"/>, or null when this parser does not handle its format (never throws for bad bytes).</summary>
    public static SshClientKey? TryParse(byte[] file)
    {
        try
        {
            var text = Encoding.ASCII.GetString(file);
            if (Body(text, "OPENSSH PRIVATE KEY") is { } body)
            {
                return ParseOpenSsh(Convert.FromBase64String(body));
            }

            if (Body(text, "RSA PRIVATE KEY") is not null && !text.Contains("ENCRYPTED", StringComparison.Ordinal))
            {
                var rsa = RSA.Create();
                rsa.ImportFromPem(text);
                var p = rsa.ExportParameters(false);
                return new SshClientKey("rsa-sha2-512", new SshWriter().String("ssh-rsa").Mpint(p.Exponent).Mpint(p.Modulus).ToArray(), rsa: rsa);
            }
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException or SshWireException or ArgumentException or OverflowException)
        {
            return null;
        }

        return null;
    }

    private static string? Body(string text, string label)
    {
        var begin = $"-----BEGIN {label}-----";
        var end = $"-----END {label}-----";
        var start = text.IndexOf(begin, StringComparison.Ordinal);
        var stop = text.IndexOf(end, StringComparison.Ordinal);
        return start >= 0 && stop > start ? text[(start + begin.Length)..stop] : null;
    }

    // PROTOCOL.key in OpenSSH's source: magic, cipher, kdf, kdf options, key count, public keys, private section.
    private static SshClientKey? ParseOpenSsh(byte[] data)
    {
        var magic = "openssh-key-v1\0"u8;
        if (!data.AsSpan().StartsWith(magic))
        {
            return null;
        }

        var r = new SshReader(data.AsSpan(magic.Length), "private key");
        if (r.Name() != "none" || r.Name() != "none" || r.String(1024).Length != 0 || r.UInt32() != 1)
        {
            return null;
        }

        var publicBlob = r.String(16 * 1024).ToArray();
        var secret = r.String(16 * 1024);
        r.End();
        if (secret.Length % 8 != 0)
        {
            return null;
        }

        var s = new SshReader(secret, "private key");
        if (s.UInt32() != s.UInt32())
        {
            return null;
        }

        var type = s.Name();
        SshClientKey? key;
        switch (type)
        {
            case "ssh-ed25519":
            {
                var publicKey = s.String(32);
                var both = s.String(64);
                if (publicKey.Length != 32 || both.Length != 64 || !both[32..].SequenceEqual(publicKey))
                {
                    return null;
                }

                key = new SshClientKey("ssh-ed25519", publicBlob, ed25519Seed: both[..32].ToArray());
                break;
            }

            case "ssh-rsa":
            {
                var n = s.Mpint(2048).ToArray();
                var e = s.Mpint(8).ToArray();
                var d = s.Mpint(2048);
                var iqmp = s.Mpint(1024);
                var p = s.Mpint(1024);
                var q = s.Mpint(1024);
                var half = (n.Length + 1) / 2;
                var dValue = new BigInteger(d, isUnsigned: true, isBigEndian: true);
                var pValue = new BigInteger(p, isUnsigned: true, isBigEndian: true);
                var qValue = new BigInteger(q, isUnsigned: true, isBigEndian: true);
                var rsa = RSA.Create();
                try
                {
                    rsa.ImportParameters(new RSAParameters
                    {
                        Modulus = n,
                        Exponent = e,
                        D = Pad(d, n.Length),
                        P = Pad(p, half),
                        Q = Pad(q, half),
                        DP = Pad(BigInteger.Remainder(dValue, pValue - 1).ToByteArray(isUnsigned: true, isBigEndian: true), half),
                        DQ = Pad(BigInteger.Remainder(dValue, qValue - 1).ToByteArray(isUnsigned: true, isBigEndian: true), half),
                        InverseQ = Pad(iqmp, half),
                    });
                }
                catch
                {
                    rsa.Dispose();
                    throw;
                }

                key = new SshClientKey("rsa-sha2-512", publicBlob, rsa: rsa);
                break;
            }

            default:
            {
                if (!type.StartsWith("ecdsa-sha2-", StringComparison.Ordinal) || SshSignatures.Curve(type) is not var (curve, size, hash))
                {
                    return null;
                }

                if (s.Name() != type["ecdsa-sha2-".Length..])
                {
                    return null;
                }

                var point = s.String(1 + 2 * size);
                var d = s.Mpint(size);
                if (point.Length != 1 + 2 * size || point[0] != 4)
                {
                    return null;
                }

                var ecdsa = ECDsa.Create(new ECParameters
                {
                    Curve = curve,
                    Q = new ECPoint { X = point.Slice(1, size).ToArray(), Y = point.Slice(1 + size, size).ToArray() },
                    D = Pad(d, size),
                });
                key = new SshClientKey(type, publicBlob, ecdsa: ecdsa, ecdsaHash: hash, ecdsaSize: size);
                break;
            }
        }

        s.String(1024);
        var padding = 1;
        while (!s.AtEnd)
        {
            if (s.Byte() != padding++)
            {
                key.Dispose();
                return null;
            }
        }

        return key;
    }

    private static byte[] Pad(ReadOnlySpan<byte> value, int length)
    {
        if (value.Length > length)
        {
            throw new CryptographicException("key component too long");
        }

        var padded = new byte[length];
        value.CopyTo(padded.AsSpan(length - value.Length));
        return padded;
    }
}
