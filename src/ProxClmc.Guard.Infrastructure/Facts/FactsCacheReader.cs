using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Facts;

/// <summary>
/// Reads <c>facts.cache_file</c> with <see cref="Utf8JsonReader"/> into the same objects the source-generated
/// serializer (<see cref="FactsCacheJsonContext"/>, still used to write it) would build: the same camelCase names,
/// matched case-sensitively; unknown names skipped; the last of duplicate names wins; null where the type allows it;
/// any other token, a number that is not an Int32 or a time that is not ISO 8601 is a <see cref="JsonException"/>.
/// The hook reads the cache on every migration, and building the serializer's metadata cost more than the file.
/// </summary>
internal static class FactsCacheReader
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>The document, or null when the file is the JSON literal <c>null</c>.</summary>
    public static FactsCacheDocument? Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, Options);
        try
        {
            reader.Read();
            FactsCacheDocument? document = null;
            if (reader.TokenType != JsonTokenType.Null)
            {
                Expect(ref reader, JsonTokenType.StartObject);
                document = new FactsCacheDocument();
                while (NextProperty(ref reader))
                {
                    if (reader.ValueTextEquals("schemaVersion"u8))
                    {
                        reader.Read();
                        document.SchemaVersion = Int32(ref reader);
                    }
                    else if (reader.ValueTextEquals("nodes"u8))
                    {
                        reader.Read();
                        document.Nodes = Nodes(ref reader);
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }

            // Anything after the one value is an error (the reader throws on it).
            while (reader.Read())
            {
            }

            return document;
        }
        catch (InvalidOperationException e)
        {
            // A string that is not valid Unicode text (a cut surrogate escape).
            throw new JsonException($"a string is not valid Unicode text at byte {reader.TokenStartIndex + 1}", e);
        }
    }

    private static SortedDictionary<string, CachedNode?>? Nodes(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref reader, JsonTokenType.StartObject);
        var nodes = new SortedDictionary<string, CachedNode?>(StringComparer.Ordinal);
        while (NextProperty(ref reader))
        {
            var name = reader.GetString()!;
            reader.Read();
            nodes[name] = Node(ref reader);
        }

        return nodes;
    }

    private static CachedNode? Node(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref reader, JsonTokenType.StartObject);
        var node = new CachedNode();
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("source"u8))
            {
                reader.Read();
                node.Source = String(ref reader)!;
            }
            else if (reader.ValueTextEquals("address"u8))
            {
                reader.Read();
                node.Address = String(ref reader);
            }
            else if (reader.ValueTextEquals("collectedAt"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var at))
                {
                    throw Unexpected(ref reader, "a time (ISO 8601)");
                }

                node.CollectedAt = at;
            }
            else if (reader.ValueTextEquals("cpu"u8))
            {
                reader.Read();
                node.Cpu = Cpu(ref reader);
            }
            else if (reader.ValueTextEquals("identity"u8))
            {
                reader.Read();
                node.Identity = String(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return node;
    }

    private static CachedCpu? Cpu(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref reader, JsonTokenType.StartObject);
        var cpu = new CachedCpu();
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("architecture"u8))
            {
                reader.Read();
                cpu.Architecture = String(ref reader);
            }
            else if (reader.ValueTextEquals("vendorId"u8))
            {
                reader.Read();
                cpu.VendorId = String(ref reader);
            }
            else if (reader.ValueTextEquals("family"u8))
            {
                reader.Read();
                cpu.Family = NullableInt32(ref reader);
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                cpu.Model = NullableInt32(ref reader);
            }
            else if (reader.ValueTextEquals("stepping"u8))
            {
                reader.Read();
                cpu.Stepping = NullableInt32(ref reader);
            }
            else if (reader.ValueTextEquals("modelName"u8))
            {
                reader.Read();
                cpu.ModelName = String(ref reader);
            }
            else if (reader.ValueTextEquals("flags"u8))
            {
                reader.Read();
                cpu.Flags = Strings(ref reader);
            }
            else if (reader.ValueTextEquals("bugs"u8))
            {
                reader.Read();
                cpu.Bugs = Strings(ref reader);
            }
            else if (reader.ValueTextEquals("physicalAddressBits"u8))
            {
                reader.Read();
                cpu.PhysicalAddressBits = NullableInt32(ref reader);
            }
            else if (reader.ValueTextEquals("processorCount"u8))
            {
                reader.Read();
                cpu.ProcessorCount = Int32(ref reader);
            }
            else if (reader.ValueTextEquals("flagsNotOnAllProcessors"u8))
            {
                reader.Read();
                cpu.FlagsNotOnAllProcessors = Strings(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return cpu;
    }

    /// <summary>Moves to the next property name of the current object; false at its end.</summary>
    private static bool NextProperty(ref Utf8JsonReader reader) => reader.Read() && reader.TokenType == JsonTokenType.PropertyName;

    private static List<string>? Strings(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref reader, JsonTokenType.StartArray);
        var list = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            list.Add(String(ref reader)!);
        }

        return list;
    }

    private static string? String(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => reader.GetString(),
        _ => throw Unexpected(ref reader, "a string"),
    };

    private static int? NullableInt32(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Null ? null : Int32(ref reader);

    private static int Int32(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) ? value : throw Unexpected(ref reader, "a whole number");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType token)
    {
        if (reader.TokenType != token)
        {
            throw Unexpected(ref reader, token == JsonTokenType.StartObject ? "an object" : "a list");
        }
    }

    private static JsonException Unexpected(ref Utf8JsonReader reader, string expected) =>
        new($"expected {expected}, found {reader.TokenType} at byte {reader.TokenStartIndex + 1}");
}
