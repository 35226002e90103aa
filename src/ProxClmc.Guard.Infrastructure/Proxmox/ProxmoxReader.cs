using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// Reads Proxmox's answers with <see cref="Utf8JsonReader"/> straight into the typed values: no document is built.
/// The results are those of the <see cref="JsonElement"/> readers (<see cref="ProxmoxJson"/> and the models'
/// <c>Parse</c>), property by property: the last of duplicate names wins, null counts as missing.
/// </summary>
internal static class ProxmoxReader
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>
    /// The bytes of the <c>data</c> value of a <c>{"data": ...}</c> answer (the last one if the name repeats), after
    /// checking that the whole answer is JSON: a <see cref="JsonException"/> names line and byte of the first error,
    /// as <see cref="JsonDocument.Parse(ReadOnlyMemory{byte}, JsonDocumentOptions)"/> would. False when the answer is
    /// valid JSON but not an object with <c>data</c>.
    /// </summary>
    public static bool TryGetData(ReadOnlySpan<byte> body, out int start, out int length)
    {
        start = 0;
        length = 0;
        var found = false;
        var reader = new Utf8JsonReader(body, Options);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
        }
        else
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isData = reader.ValueTextEquals("data"u8);
                reader.Read();
                var from = (int)reader.TokenStartIndex;
                reader.Skip();
                if (isData)
                {
                    found = true;
                    start = from;
                    length = (int)reader.BytesConsumed - from;
                }
            }
        }

        // Anything after the one value is an error (the reader throws on it).
        while (reader.Read())
        {
        }

        return found;
    }

    /// <summary>Reads a whole, already checked JSON value with <paramref name="read"/>.</summary>
    public static T ReadValue<T>(ReadOnlySpan<byte> value, DataReader<T> read)
    {
        var reader = new Utf8JsonReader(value, Options);
        reader.Read();
        return read(ref reader);
    }

    /// <summary>A string token's text; text that is not UTF-8 is a wrong shape, not a crash.</summary>
    public static string GetString(ref Utf8JsonReader reader, string what)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new ProxmoxShapeException($"{what}: a string is not valid Unicode text");
        }
    }

    /// <summary>
    /// A list of objects (<see cref="ProxmoxJson.ArrayItems"/>): each item is handed to <paramref name="item"/> with
    /// the reader on its <c>{</c>; <paramref name="item"/> leaves it on the matching <c>}</c>.
    /// </summary>
    public static List<T> ReadList<T>(ref Utf8JsonReader reader, string what, DataReader<T> item)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new ProxmoxShapeException($"{what}: expected a list, got {Describe(reader.TokenType)}");
        }

        var list = new List<T>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ProxmoxShapeException($"{what}: expected a list of objects, found {Describe(reader.TokenType)}");
            }

            list.Add(item(ref reader));
        }

        return list;
    }

    /// <summary>
    /// The named scalar properties of the object the reader stands on (its <c>{</c>), in the order of
    /// <paramref name="names"/>; every other property is skipped unread. Leaves the reader on the <c>}</c>.
    /// </summary>
    public static void ReadFields(ref Utf8JsonReader reader, ReadOnlySpan<byte[]> names, Span<Scalar> values, string what)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var index = -1;
            for (var i = 0; i < names.Length; i++)
            {
                if (reader.ValueTextEquals(names[i]))
                {
                    index = i;
                    break;
                }
            }

            reader.Read();
            if (index < 0)
            {
                reader.Skip();
            }
            else
            {
                values[index] = Scalar.Read(ref reader, what);
            }
        }
    }

    /// <summary>Every property of the object the reader stands on, as <see cref="ProxmoxJson.AsString"/> text (non-scalars left out).</summary>
    public static void ReadStrings(ref Utf8JsonReader reader, string what, Action<string, string> add)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = GetString(ref reader, what);
            reader.Read();
            if (Scalar.Read(ref reader, what).AsString is { } text)
            {
                add(name, text);
            }
        }
    }

    public static void RequireObject(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new ProxmoxShapeException($"{what}: expected an object, got {Describe(reader.TokenType)}");
        }
    }

    public static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "a list",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "nothing",
    };

    /// <summary>Reads the value into a <see cref="JsonElement"/> for the readers of rarely asked endpoints.</summary>
    public static JsonElement Element(ref Utf8JsonReader reader) => JsonElement.ParseValue(ref reader);
}
