using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// One scalar property as Proxmox sends it, read off a <see cref="Utf8JsonReader"/> with the same leniency as
/// <see cref="ProxmoxJson"/>: 0/1 (and "0"/"1") booleans, integers as numbers or strings, null as missing.
/// </summary>
internal readonly struct Scalar
{
    private readonly JsonTokenType _token;
    private readonly string? _text;
    private readonly long? _number;
    private readonly bool _isInt64;

    private Scalar(JsonTokenType token, string? text, long? number, bool isInt64)
    {
        _token = token;
        _text = text;
        _number = number;
        _isInt64 = isInt64;
    }

    /// <summary>Present and not null (what <see cref="ProxmoxJson.Property"/> answers).</summary>
    public bool HasValue => _token is not (JsonTokenType.None or JsonTokenType.Null);

    /// <summary>Reads the value the reader stands on; an object or a list is skipped and kept only as its kind.</summary>
    public static Scalar Read(ref Utf8JsonReader reader, string what)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return new(JsonTokenType.String, ProxmoxReader.GetString(ref reader, what), null, false);
            case JsonTokenType.Number:
                var isInt64 = reader.TryGetInt64(out var n);
                long? number = isInt64 ? n
                    : reader.TryGetDouble(out var d) && d is >= long.MinValue and <= long.MaxValue ? (long)d
                    : null;
                return new(JsonTokenType.Number, Encoding.UTF8.GetString(reader.ValueSpan), number, isInt64);
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                var token = reader.TokenType;
                reader.Skip();
                return new(token, null, null, false);
            default:
                return new(reader.TokenType, null, null, false);
        }
    }

    /// <summary><see cref="ProxmoxJson.AsString"/>: the text Proxmox would write into a config file.</summary>
    public string? AsString => _token switch
    {
        JsonTokenType.String or JsonTokenType.Number => _text,
        JsonTokenType.True => "1",
        JsonTokenType.False => "0",
        _ => null,
    };

    /// <summary><see cref="ProxmoxJson.GetInt64Lenient"/>.</summary>
    public long? AsInt64 => _token switch
    {
        JsonTokenType.Number => _number,
        JsonTokenType.String when long.TryParse(_text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };

    /// <summary><see cref="ProxmoxJson.GetInt32Lenient"/>.</summary>
    public int? AsInt32 => AsInt64 is { } n && n is >= int.MinValue and <= int.MaxValue ? (int)n : null;

    /// <summary><see cref="ProxmoxJson.AsBool"/>.</summary>
    public bool? AsBool => _token switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        JsonTokenType.Number when _isInt64 => _number != 0,
        JsonTokenType.String => _text switch
        {
            "1" or "true" or "yes" or "on" => true,
            "0" or "false" or "no" or "off" or "" => false,
            _ => null,
        },
        _ => null,
    };
}
