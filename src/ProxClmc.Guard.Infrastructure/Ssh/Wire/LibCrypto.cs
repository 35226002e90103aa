using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace ProxClmc.Guard.Infrastructure.Ssh.Wire;

/// <summary>
/// X25519 and Ed25519 from OpenSSL's libcrypto, which the .NET runtime already loads for its own cryptography on Linux
/// but does not expose for these two curves. Only raw-key EVP_PKEY calls are used (OpenSSL 3 API), with blittable
/// arguments, so the calls are NativeAOT-safe. A missing libcrypto.so.3 surfaces as <see cref="DllNotFoundException"/>,
/// which the caller treats as "use the general client".
/// </summary>
internal static unsafe partial class LibCrypto
{
    private const string Library = "libcrypto.so.3";

    // NID_X25519 and NID_ED25519 (openssl/obj_mac.h).
    private const int X25519Type = 1034;
    private const int Ed25519Type = 1087;

    public const int KeySize = 32;
    public const int SignatureSize = 64;

    /// <summary>The X25519 public key of a 32-byte private key.</summary>
    public static byte[] X25519PublicKey(ReadOnlySpan<byte> privateKey)
    {
        var key = NewPrivate(X25519Type, privateKey);
        try
        {
            return RawPublicKey(key);
        }
        finally
        {
            EVP_PKEY_free(key);
        }
    }

    /// <summary>The X25519 shared secret; false if the peer's key is unusable or the result is all zeros (RFC 8731 section 3).</summary>
    public static bool X25519Agree(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> peerPublicKey, Span<byte> secret)
    {
        if (peerPublicKey.Length != KeySize || secret.Length != KeySize)
        {
            return false;
        }

        var key = NewPrivate(X25519Type, privateKey);
        nint peer = 0, ctx = 0;
        try
        {
            fixed (byte* p = peerPublicKey)
            {
                peer = EVP_PKEY_new_raw_public_key(X25519Type, 0, p, (nuint)peerPublicKey.Length);
            }

            if (peer == 0)
            {
                return Fail();
            }

            ctx = EVP_PKEY_CTX_new(key, 0);
            if (ctx == 0 || EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, peer) != 1)
            {
                return Fail();
            }

            nuint length = KeySize;
            int ok;
            fixed (byte* s = secret)
            {
                ok = EVP_PKEY_derive(ctx, s, &length);
            }

            if (ok != 1 || length != KeySize)
            {
                CryptographicOperations.ZeroMemory(secret);
                return Fail();
            }

            var any = 0;
            foreach (var b in secret)
            {
                any |= b;
            }

            return any != 0;
        }
        finally
        {
            EVP_PKEY_CTX_free(ctx);
            EVP_PKEY_free(peer);
            EVP_PKEY_free(key);
        }
    }

    /// <summary>The Ed25519 public key of a 32-byte seed.</summary>
    public static byte[] Ed25519PublicKey(ReadOnlySpan<byte> seed)
    {
        var key = NewPrivate(Ed25519Type, seed);
        try
        {
            return RawPublicKey(key);
        }
        finally
        {
            EVP_PKEY_free(key);
        }
    }

    /// <summary>An Ed25519 signature (RFC 8032) of <paramref name="data"/> with a 32-byte seed.</summary>
    public static byte[] Ed25519Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> data)
    {
        var key = NewPrivate(Ed25519Type, seed);
        var md = EVP_MD_CTX_new();
        try
        {
            if (md == 0 || EVP_DigestSignInit(md, 0, 0, 0, key) != 1)
            {
                throw Error("Ed25519 signing could not start");
            }

            var signature = new byte[SignatureSize];
            nuint length = SignatureSize;
            int ok;
            fixed (byte* s = signature)
            fixed (byte* d = data)
            {
                ok = EVP_DigestSign(md, s, &length, d, (nuint)data.Length);
            }

            if (ok != 1 || length != SignatureSize)
            {
                throw Error("Ed25519 signing failed");
            }

            return signature;
        }
        finally
        {
            EVP_MD_CTX_free(md);
            EVP_PKEY_free(key);
        }
    }

    /// <summary>Does <paramref name="signature"/> verify <paramref name="data"/> under the 32-byte Ed25519 public key?</summary>
    public static bool Ed25519Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != KeySize || signature.Length != SignatureSize)
        {
            return false;
        }

        nint key;
        fixed (byte* p = publicKey)
        {
            key = EVP_PKEY_new_raw_public_key(Ed25519Type, 0, p, (nuint)publicKey.Length);
        }

        if (key == 0)
        {
            return Fail();
        }

        var md = EVP_MD_CTX_new();
        try
        {
            if (md == 0 || EVP_DigestVerifyInit(md, 0, 0, 0, key) != 1)
            {
                return Fail();
            }

            int ok;
            fixed (byte* s = signature)
            fixed (byte* d = data)
            {
                ok = EVP_DigestVerify(md, s, (nuint)signature.Length, d, (nuint)data.Length);
            }

            return ok == 1 || Fail();
        }
        finally
        {
            EVP_MD_CTX_free(md);
            EVP_PKEY_free(key);
        }
    }

    private static nint NewPrivate(int type, ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != KeySize)
        {
            throw new CryptographicException("a raw private key must be 32 bytes");
        }

        nint key;
        fixed (byte* p = privateKey)
        {
            key = EVP_PKEY_new_raw_private_key(type, 0, p, (nuint)privateKey.Length);
        }

        return key != 0 ? key : throw Error("the private key was refused");
    }

    private static byte[] RawPublicKey(nint key)
    {
        var publicKey = new byte[KeySize];
        nuint length = KeySize;
        int ok;
        fixed (byte* p = publicKey)
        {
            ok = EVP_PKEY_get_raw_public_key(key, p, &length);
        }

        return ok == 1 && length == KeySize ? publicKey : throw Error("no public key");
    }

    /// <summary>Clears OpenSSL's error queue of this thread (the runtime's own calls expect it empty) and returns false.</summary>
    private static bool Fail()
    {
        ERR_clear_error();
        return false;
    }

    private static CryptographicException Error(string message)
    {
        ERR_clear_error();
        return new CryptographicException(message);
    }

    [LibraryImport(Library)]
    private static partial nint EVP_PKEY_new_raw_private_key(int type, nint engine, byte* key, nuint keyLength);

    [LibraryImport(Library)]
    private static partial nint EVP_PKEY_new_raw_public_key(int type, nint engine, byte* key, nuint keyLength);

    [LibraryImport(Library)]
    private static partial int EVP_PKEY_get_raw_public_key(nint key, byte* publicKey, nuint* length);

    [LibraryImport(Library)]
    private static partial void EVP_PKEY_free(nint key);

    [LibraryImport(Library)]
    private static partial nint EVP_PKEY_CTX_new(nint key, nint engine);

    [LibraryImport(Library)]
    private static partial void EVP_PKEY_CTX_free(nint ctx);

    [LibraryImport(Library)]
    private static partial int EVP_PKEY_derive_init(nint ctx);

    [LibraryImport(Library)]
    private static partial int EVP_PKEY_derive_set_peer(nint ctx, nint peer);

    [LibraryImport(Library)]
    private static partial int EVP_PKEY_derive(nint ctx, byte* secret, nuint* length);

    [LibraryImport(Library)]
    private static partial nint EVP_MD_CTX_new();

    [LibraryImport(Library)]
    private static partial void EVP_MD_CTX_free(nint ctx);

    [LibraryImport(Library)]
    private static partial int EVP_DigestSignInit(nint ctx, nint pkeyCtx, nint type, nint engine, nint key);

    [LibraryImport(Library)]
    private static partial int EVP_DigestSign(nint ctx, byte* signature, nuint* signatureLength, byte* data, nuint dataLength);

    [LibraryImport(Library)]
    private static partial int EVP_DigestVerifyInit(nint ctx, nint pkeyCtx, nint type, nint engine, nint key);

    [LibraryImport(Library)]
    private static partial int EVP_DigestVerify(nint ctx, byte* signature, nuint signatureLength, byte* data, nuint dataLength);

    [LibraryImport(Library)]
    private static partial void ERR_clear_error();
}
