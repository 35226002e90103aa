using System.Buffers.Binary;
using System.Text;

namespace ProxClmc.Guard.Infrastructure.Journal;

/// <summary>
/// The journal's native protocol (systemd.journal-fields(7), "Native Journal Protocol"): one datagram holds one entry,
/// each field either <c>NAME=value\n</c> or, when the value contains a newline, the binary-safe form
/// <c>NAME\n</c> + 64-bit little-endian length + value + <c>\n</c>.
/// </summary>
internal static class JournalEncoder
{
    /// <summary>journald silently drops fields whose names are longer than this.</summary>
    public const int MaxFieldNameLength = 64;

    /// <summary>Encodes fields in order; names are passed through <see cref="SanitizeFieldName"/>, fields whose name
    /// has nothing usable left are left out. A name may repeat (journald keeps every value).</summary>
    public static byte[] Encode(IEnumerable<KeyValuePair<string, string>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        using var buffer = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        foreach (var (rawName, value) in fields)
        {
            var name = SanitizeFieldName(rawName);
            if (name is null)
            {
                continue;
            }

            var nameBytes = Encoding.ASCII.GetBytes(name);
            var valueBytes = Encoding.UTF8.GetBytes(value ?? string.Empty);
            buffer.Write(nameBytes);
            if (valueBytes.AsSpan().Contains((byte)'\n'))
            {
                buffer.WriteByte((byte)'\n');
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)valueBytes.LongLength);
                buffer.Write(length);
            }
            else
            {
                buffer.WriteByte((byte)'=');
            }

            buffer.Write(valueBytes);
            buffer.WriteByte((byte)'\n');
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Makes a journal field name out of any string: ASCII letters upper-cased, every other character outside
    /// A–Z, 0–9 and <c>_</c> replaced by <c>_</c>, leading underscores removed (journald reserves them for the fields
    /// it adds itself, such as <c>_PID</c>, and drops them from clients), a leading digit prefixed with <c>F</c>, and the
    /// result cut to 64 characters. Returns null when nothing is left.
    /// </summary>
    public static string? SanitizeFieldName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        var builder = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            if (c is >= 'A' and <= 'Z' or >= '0' and <= '9' or '_')
            {
                builder.Append(c);
            }
            else if (c is >= 'a' and <= 'z')
            {
                builder.Append((char)(c - 'a' + 'A'));
            }
            else
            {
                builder.Append('_');
            }
        }

        var start = 0;
        while (start < builder.Length && builder[start] == '_')
        {
            start++;
        }

        builder.Remove(0, start);
        if (builder.Length == 0)
        {
            return null;
        }

        if (builder[0] is >= '0' and <= '9')
        {
            builder.Insert(0, 'F');
        }

        if (builder.Length > MaxFieldNameLength)
        {
            builder.Length = MaxFieldNameLength;
        }

        return builder.ToString();
    }

    /// <summary>True when journald accepts <paramref name="name"/> from a client as it is.</summary>
    public static bool IsValidFieldName(string? name) =>
        !string.IsNullOrEmpty(name) && SanitizeFieldName(name) == name;
}
