using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Facts;

/// <summary>
/// Writes <c>facts.cache_file</c> with <see cref="Utf8JsonWriter"/>, byte for byte what the source-generated serializer
/// (<see cref="FactsCacheJsonContext"/>) writes: indented, camelCase names in declaration order, properties that are
/// null left out, null dictionary values and list items written as null, the default escaping. Every run over SSH
/// writes the cache, and building the serializer's metadata and its default encoder cost more instructions (3.2 M)
/// than the document (about 0.2 M here).
/// </summary>
internal static class FactsCacheWriter
{
    private static readonly JsonWriterOptions Options = new() { Indented = true };

    public static byte[] Write(FactsCacheDocument document)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(4096);
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion"u8, document.SchemaVersion);
            if (document.Nodes is { } nodes)
            {
                json.WriteStartObject("nodes"u8);
                foreach (var (name, node) in nodes)
                {
                    json.WritePropertyName(name);
                    WriteNode(json, node);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteNode(Utf8JsonWriter json, CachedNode? node)
    {
        if (node is null)
        {
            json.WriteNullValue();
            return;
        }

        json.WriteStartObject();
        json.WriteString("source"u8, node.Source);
        WriteIfNotNull(json, "address"u8, node.Address);
        json.WriteString("collectedAt"u8, node.CollectedAt);
        if (node.Cpu is { } cpu)
        {
            json.WriteStartObject("cpu"u8);
            WriteIfNotNull(json, "architecture"u8, cpu.Architecture);
            WriteIfNotNull(json, "vendorId"u8, cpu.VendorId);
            WriteIfNotNull(json, "family"u8, cpu.Family);
            WriteIfNotNull(json, "model"u8, cpu.Model);
            WriteIfNotNull(json, "stepping"u8, cpu.Stepping);
            WriteIfNotNull(json, "modelName"u8, cpu.ModelName);
            WriteIfNotNull(json, "flags"u8, cpu.Flags);
            WriteIfNotNull(json, "bugs"u8, cpu.Bugs);
            WriteIfNotNull(json, "physicalAddressBits"u8, cpu.PhysicalAddressBits);
            json.WriteNumber("processorCount"u8, cpu.ProcessorCount);
            WriteIfNotNull(json, "flagsNotOnAllProcessors"u8, cpu.FlagsNotOnAllProcessors);
            json.WriteEndObject();
        }

        WriteIfNotNull(json, "identity"u8, node.Identity);
        json.WriteEndObject();
    }

    private static void WriteIfNotNull(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteIfNotNull(Utf8JsonWriter json, ReadOnlySpan<byte> name, int? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
    }

    private static void WriteIfNotNull(Utf8JsonWriter json, ReadOnlySpan<byte> name, List<string>? values)
    {
        if (values is null)
        {
            return;
        }

        json.WriteStartArray(name);
        foreach (var value in values)
        {
            if (value is null)
            {
                json.WriteNullValue();
            }
            else
            {
                json.WriteStringValue(value);
            }
        }

        json.WriteEndArray();
    }
}
