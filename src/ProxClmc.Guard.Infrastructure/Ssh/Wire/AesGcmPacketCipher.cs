using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ProxClmc.Guard.Infrastructure.Ssh.Wire;

/// <summary>
/// aes128-gcm@openssh.com / aes256-gcm@openssh.com (RFC 5647 with OpenSSH's PROTOCOL changes): the packet length is
/// authenticated but not encrypted, the 12-byte nonce is a fixed 4-byte part and a 64-bit counter incremented per packet,
/// and the tag is checked before any decrypted byte is used.
/// </summary>
internal sealed class AesGcmPacketCipher : IDisposable
{
    public const int TagSize = 16;
    public const int NonceSize = 12;

    private readonly AesGcm _aes;
    private readonly byte[] _nonce;

    public AesGcmPacketCipher(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce)
    {
        _aes = new AesGcm(key, TagSize);
        _nonce = nonce.ToArray();
    }

    public static int KeySizeOf(string algorithm) => algorithm == "aes256-gcm@openssh.com" ? 32 : 16;

    public void Encrypt(ReadOnlySpan<byte> lengthField, ReadOnlySpan<byte> plain, Span<byte> cipher, Span<byte> tag)
    {
        _aes.Encrypt(_nonce, plain, cipher, tag, lengthField);
        Next();
    }

    /// <summary>False when the tag does not match (nothing of <paramref name="plain"/> may then be used).</summary>
    public bool Decrypt(ReadOnlySpan<byte> lengthField, ReadOnlySpan<byte> cipher, ReadOnlySpan<byte> tag, Span<byte> plain)
    {
        try
        {
            _aes.Decrypt(_nonce, cipher, tag, plain, lengthField);
        }
        catch (CryptographicException)
        {
            CryptographicOperations.ZeroMemory(plain);
            return false;
        }

        Next();
        return true;
    }

    public void Dispose() => _aes.Dispose();

    private void Next()
    {
        var counter = _nonce.AsSpan(4);
        BinaryPrimitives.WriteUInt64BigEndian(counter, unchecked(BinaryPrimitives.ReadUInt64BigEndian(counter) + 1));
    }
}
