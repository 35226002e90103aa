using System.Buffers.Binary;
using System.Text;

namespace ProxClmc.Guard.Infrastructure.Ssh.Wire;

/// <summary>
/// Reads SSH wire data a peer sent: every length is checked against what is left and against a limit before it is
/// used, so arbitrary bytes end in <see cref="SshWireException"/>, never in an out-of-range read or a large allocation.
/// </summary>
internal ref struct SshReader
{
    private ReadOnlySpan<byte> _rest;
    private readonly string _what;

    public SshReader(ReadOnlySpan<byte> data, string what)
    {
        _rest = data;
        _what = what;
    }

    public readonly bool AtEnd => _rest.IsEmpty;

    public byte Byte()
    {
        if (_rest.IsEmpty)
        {
            throw Truncated();
        }

        var value = _rest[0];
        _rest = _rest[1..];
        return value;
    }

    public bool Bool() => Byte() != 0;

    public uint UInt32()
    {
        if (_rest.Length < 4)
        {
            throw Truncated();
        }

        var value = BinaryPrimitives.ReadUInt32BigEndian(_rest);
        _rest = _rest[4..];
        return value;
    }

    public ReadOnlySpan<byte> Bytes(int count)
    {
        if (count < 0 || _rest.Length < count)
        {
            throw Truncated();
        }

        var value = _rest[..count];
        _rest = _rest[count..];
        return value;
    }

    /// <summary>A string of at most <paramref name="maxLength"/> bytes.</summary>
    public ReadOnlySpan<byte> String(int maxLength)
    {
        var length = UInt32();
        if (length > (uint)maxLength)
        {
            throw new SshWireException($"{_what}: a field of {length} bytes is longer than the {maxLength} allowed");
        }

        return Bytes((int)length);
    }

    /// <summary>An algorithm or request name: printable ASCII, at most 64 bytes (RFC 4251 section 6).</summary>
    public string Name() => Ascii(String(64));

    /// <summary>A comma-separated list of names, at most 4096 bytes.</summary>
    public string NameList() => Ascii(String(4096));

    /// <summary>A non-negative mpint of at most <paramref name="maxBytes"/> significant bytes, as unsigned big-endian bytes.</summary>
    public ReadOnlySpan<byte> Mpint(int maxBytes)
    {
        var value = String(maxBytes + 1);
        if (value.Length > 0 && (value[0] & 0x80) != 0)
        {
            throw new SshWireException($"{_what}: negative integer");
        }

        if (value.Length > 0 && value[0] == 0)
        {
            if (value.Length == 1 || (value[1] & 0x80) == 0)
            {
                throw new SshWireException($"{_what}: integer with a needless leading zero");
            }

            value = value[1..];
        }

        if (value.Length > maxBytes)
        {
            throw new SshWireException($"{_what}: integer longer than {maxBytes} bytes");
        }

        return value;
    }

    /// <summary>The message must have no bytes left.</summary>
    public readonly void End()
    {
        if (!_rest.IsEmpty)
        {
            throw new SshWireException($"{_what}: {_rest.Length} unexpected bytes at the end");
        }
    }

    private readonly string Ascii(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b < 0x20 || b > 0x7e)
            {
                throw new SshWireException($"{_what}: a name holds a byte that is not printable ASCII");
            }
        }

        return Encoding.ASCII.GetString(bytes);
    }

    private readonly SshWireException Truncated() => new($"{_what}: message ends early");
}
