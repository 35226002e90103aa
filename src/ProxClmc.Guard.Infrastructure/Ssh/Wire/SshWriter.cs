using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ProxClmc.Guard.Infrastructure.Ssh.Wire;

/// <summary>Builds SSH wire data (RFC 4251 section 5): bytes, uint32, strings and mpints, big-endian.</summary>
internal sealed class SshWriter
{
    private byte[] _buffer;
    private int _length;

    public SshWriter(int capacity = 256) => _buffer = new byte[capacity];

    public int Length => _length;

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public byte[] ToArray() => Written.ToArray();

    public SshWriter Byte(byte value)
    {
        Grow(1)[0] = value;
        return this;
    }

    public SshWriter Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

    public SshWriter UInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(Grow(4), value);
        return this;
    }

    public SshWriter Raw(ReadOnlySpan<byte> data)
    {
        data.CopyTo(Grow(data.Length));
        return this;
    }

    public SshWriter String(ReadOnlySpan<byte> data) => UInt32((uint)data.Length).Raw(data);

    public SshWriter String(string text) => String(Encoding.UTF8.GetBytes(text));

    /// <summary>A non-negative integer given as unsigned big-endian bytes, in mpint form (no leading zeros, a zero byte before a high bit).</summary>
    public SshWriter Mpint(ReadOnlySpan<byte> unsignedBigEndian)
    {
        var value = unsignedBigEndian;
        while (value.Length > 0 && value[0] == 0)
        {
            value = value[1..];
        }

        if (value.Length > 0 && (value[0] & 0x80) != 0)
        {
            UInt32((uint)value.Length + 1).Byte(0);
            return Raw(value);
        }

        return String(value);
    }

    /// <summary>Space for <paramref name="count"/> bytes written directly, appended at the end.</summary>
    public Span<byte> Grow(int count)
    {
        if (_length + count > _buffer.Length)
        {
            var bigger = new byte[Math.Max(_buffer.Length * 2, _length + count)];
            _buffer.AsSpan(0, _length).CopyTo(bigger);
            CryptographicOperations.ZeroMemory(_buffer);
            _buffer = bigger;
        }

        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }

    /// <summary>Forgets what was written (the bytes are zeroed: writers also hold secrets).</summary>
    public void Clear()
    {
        CryptographicOperations.ZeroMemory(_buffer.AsSpan(0, _length));
        _length = 0;
    }
}
