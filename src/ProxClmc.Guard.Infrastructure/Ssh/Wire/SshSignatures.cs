using System.Security.Cryptography;
using System.Text;

namespace ProxClmc.Guard.Infrastructure.Ssh.Wire;

/// <summary>
/// Verifies a server's signature over the exchange hash with its host key (RFC 4253 section 8): ssh-ed25519 (RFC 8709),
/// rsa-sha2-256/512 (RFC 8332) and ecdsa-sha2-nistp256/384/521 (RFC 5656). Key and signature blobs are parsed strictly.
/// </summary>
internal static class SshSignatures
{
    /// <summary>Host key algorithms this client can check, strongest-and-cheapest first.</summary>
    public static IReadOnlyList<string> HostKeyAlgorithms { get; } =
    [
        "ssh-ed25519",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "rsa-sha2-512",
        "rsa-sha2-256",
    ];

    /// <summary>The shortest RSA host key accepted, in bits (OpenSSH's own floor, SSH_RSA_MINIMUM_MODULUS_SIZE).</summary>
    public const int MinimumRsaBits = 1024;

    /// <summary>The key type a host key algorithm signs with (rsa-sha2-* use ssh-rsa keys).</summary>
    public static string KeyTypeOf(string algorithm) => algorithm.StartsWith("rsa-sha2-", StringComparison.Ordinal) ? "ssh-rsa" : algorithm;

    /// <summary>True when <paramref name="signatureBlob"/> is a valid <paramref name="algorithm"/> signature of <paramref name="data"/> by <paramref name="keyBlob"/>.</summary>
    public static bool Verify(string algorithm, ReadOnlySpan<byte> keyBlob, ReadOnlySpan<byte> signatureBlob, ReadOnlySpan<byte> data)
    {
        var sig = new SshReader(signatureBlob, "host key signature");
        if (sig.Name() != algorithm)
        {
            throw new SshWireException($"the host key signature is not of the negotiated type {algorithm}");
        }

        var signature = sig.String(1024);
        sig.End();

        var key = new SshReader(keyBlob, "host key");
        if (key.Name() != KeyTypeOf(algorithm))
        {
            throw new SshWireException($"the host key is not of the negotiated type {algorithm}");
        }

        switch (algorithm)
        {
            case "ssh-ed25519":
            {
                var publicKey = key.String(LibCrypto.KeySize);
                key.End();
                return publicKey.Length == LibCrypto.KeySize && LibCrypto.Ed25519Verify(publicKey, data, signature);
            }

            case "rsa-sha2-256":
            case "rsa-sha2-512":
            {
                var exponent = key.Mpint(8);
                var modulus = key.Mpint(2048);
                key.End();
                if (modulus.Length * 8 < MinimumRsaBits)
                {
                    throw new SshWireException($"the RSA host key has fewer than {MinimumRsaBits} bits; refusing");
                }

                if (signature.Length > modulus.Length)
                {
                    return false;
                }

                var padded = new byte[modulus.Length];
                signature.CopyTo(padded.AsSpan(padded.Length - signature.Length));
                using var rsa = RSA.Create(new RSAParameters { Exponent = exponent.ToArray(), Modulus = modulus.ToArray() });
                var hash = algorithm == "rsa-sha2-512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;
                return rsa.VerifyData(data, padded, hash, RSASignaturePadding.Pkcs1);
            }

            default:
            {
                var (curve, size, hash) = Curve(algorithm) ?? throw new SshWireException($"unsupported host key algorithm {algorithm}");
                if (key.Name() != algorithm["ecdsa-sha2-".Length..])
                {
                    throw new SshWireException("the ECDSA host key names another curve");
                }

                using var ecdsa = ImportPoint(curve, size, key.String(1 + 2 * size));
                key.End();
                var inner = new SshReader(signature, "host key signature");
                var r = inner.Mpint(size);
                var s = inner.Mpint(size);
                inner.End();
                var rs = new byte[2 * size];
                r.CopyTo(rs.AsSpan(size - r.Length));
                s.CopyTo(rs.AsSpan(2 * size - s.Length));
                return ecdsa.VerifyData(data, rs, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            }
        }
    }

    /// <summary>The curve, field size in bytes and hash of an ecdsa-sha2-* or ecdh-sha2-* name's suffix.</summary>
    public static (ECCurve Curve, int Size, HashAlgorithmName Hash)? Curve(string name) =>
        name.EndsWith("nistp256", StringComparison.Ordinal) ? (ECCurve.NamedCurves.nistP256, 32, HashAlgorithmName.SHA256)
        : name.EndsWith("nistp384", StringComparison.Ordinal) ? (ECCurve.NamedCurves.nistP384, 48, HashAlgorithmName.SHA384)
        : name.EndsWith("nistp521", StringComparison.Ordinal) ? (ECCurve.NamedCurves.nistP521, 66, HashAlgorithmName.SHA512)
        : null;

    /// <summary>An uncompressed point (0x04 || X || Y) as an ECDsa public key; OpenSSL checks that it lies on the curve.</summary>
    public static ECDsa ImportPoint(ECCurve curve, int size, ReadOnlySpan<byte> point)
    {
        if (point.Length != 1 + 2 * size || point[0] != 4)
        {
            throw new SshWireException("an elliptic curve point is not in uncompressed form");
        }

        try
        {
            return ECDsa.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = point.Slice(1, size).ToArray(), Y = point.Slice(1 + size, size).ToArray() } });
        }
        catch (CryptographicException)
        {
            throw new SshWireException("an elliptic curve point is not on its curve");
        }
    }

    /// <summary>The SSH name of a key blob's type, read strictly.</summary>
    public static string Name(ReadOnlySpan<byte> blob) => Encoding.ASCII.GetString(new SshReader(blob, "key").String(64));
}
