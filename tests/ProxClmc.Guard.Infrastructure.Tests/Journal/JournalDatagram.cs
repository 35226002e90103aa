using System.Buffers.Binary;
using System.Text;

namespace ProxClmc.Guard.Infrastructure.Tests.Journal;

/// <summary>Reads the native protocol back the way journald's server_process_native_message() does.</summary>
internal static class JournalDatagram
{
    public static List<KeyValuePair<string, string>> Decode(ReadOnlySpan<byte> data)
    {
        var fields = new List<KeyValuePair<string, string>>();
        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            if (newline < 0)
            {
                throw new FormatException("field without terminating newline");
            }

            var line = data[..newline];
            var equals = line.IndexOf((byte)'=');
            if (equals >= 0)
            {
                fields.Add(new(Encoding.ASCII.GetString(line[..equals]), Encoding.UTF8.GetString(line[(equals + 1)..])));
                data = data[(newline + 1)..];
                continue;
            }

            var name = Encoding.ASCII.GetString(line);
            data = data[(newline + 1)..];
            var length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(data[..8]));
            fields.Add(new(name, Encoding.UTF8.GetString(data.Slice(8, length))));
            if (data[8 + length] != (byte)'\n')
            {
                throw new FormatException($"binary field {name} not followed by a newline");
            }

            data = data[(8 + length + 1)..];
        }

        return fields;
    }

    public static string Single(this List<KeyValuePair<string, string>> fields, string name) =>
        fields.Where(f => f.Key == name).Select(f => f.Value).Single();
}
