using System.Text;
using System.Text.Json;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Infrastructure.Tests.Facts;

/// <summary>
/// The facts cache is read with <see cref="Utf8JsonReader"/> and still written by the source-generated serializer:
/// whatever a file holds, the reader builds what the serializer would (compared by writing both back), or refuses
/// what the serializer refuses, with a <see cref="JsonException"/> and nothing else.
/// </summary>
public sealed class FactsCacheReaderTests
{
    private static readonly string[] Seeds =
    [
        """
        {
          "schemaVersion": 1,
          "nodes": {
            "pve1": {
              "source": "ssh",
              "address": "10.0.0.1",
              "collectedAt": "2026-11-23T12:00:00+00:00",
              "cpu": {
                "architecture": "x86_64",
                "vendorId": "AuthenticAMD",
                "family": 23,
                "model": 1,
                "stepping": 2,
                "modelName": "AMD EPYC 7301 16-Core Processor",
                "flags": ["aes", "avx2", "pni", "sse4_2"],
                "bugs": ["spectre_v1"],
                "physicalAddressBits": 43,
                "processorCount": 64,
                "flagsNotOnAllProcessors": ["constant_tsc"]
              },
              "identity": "ssh-host-key:SHA256:abc"
            },
            "pve2": {"source":"api","collectedAt":"2026-11-23T12:00:01.5+01:00","cpu":{"architecture":"x86_64","vendorId":"GenuineIntel","modelName":"x","flags":[],"processorCount":2},"extra":[1,{"a":null}]}
          }
        }
        """,
        """{"schemaVersion":1,"nodes":{"pve1":{"source":"ssh","collectedAt":"2026-11-23T12:00:00Z","cpu":{"architecture":"x86_64","vendorId":"GenuineIntel","modelName":"x","flags":[null,"fpu"],"bugs":[null],"flagsNotOnAllProcessors":[null]}}}}""",
        """{"schemaVersion":1,"nodes":{"pve1":null,"..":{"source":"cache","collectedAt":"9999-12-31T23:59:59Z","cpu":{"architecture":"","vendorId":"","modelName":"","flags":[],"family":-1,"physicalAddressBits":2147483647,"processorCount":-5}}}}""",
        """{"schemaVersion":1,"schemaVersion":2,"nodes":{"a":{"source":null,"cpu":null},"a":{"source":"local","collectedAt":"2026-01-01T00:00:00Z"}},"Nodes":5}""",
        "null",
    ];

    [Fact]
    public void Every_seed_reads_as_the_serializer_reads_it()
    {
        foreach (var seed in Seeds)
        {
            var bytes = Encoding.UTF8.GetBytes(seed);
            var expected = Serializer(bytes);

            Assert.DoesNotContain("refused", expected, StringComparison.Ordinal);
            Assert.Equal(expected, Reader(bytes));
        }
    }

    [Fact]
    public void Mutated_files_read_or_are_refused_as_the_serializer_does()
    {
        var cases = 0;
        var read = 0;
        foreach (var input in Fuzz.Inputs(Seeds, Fuzz.Cases()))
        {
            cases++;
            var bytes = new UTF8Encoding(false, false).GetBytes(input);
            var expected = Serializer(bytes);
            Assert.True(expected == Reader(bytes), input);
            read += expected.StartsWith('{') ? 1 : 0;
        }

        Assert.Equal(Fuzz.Cases(), cases);
        Assert.True(read > 0, "some mutated files were still read");
    }

    [Fact]
    public void Arbitrary_bytes_are_refused_with_a_json_error_only()
    {
        var seeds = Seeds.Select(Encoding.UTF8.GetBytes).ToArray();
        foreach (var bytes in Fuzz.Bytes(seeds, Fuzz.Cases(2000)))
        {
            try
            {
                FactsCacheReader.Read(bytes);
            }
            catch (JsonException)
            {
                // Refused: FactsCache.Load ignores the file with one line.
            }
        }
    }

    private static string Serializer(byte[] bytes)
    {
        try
        {
            return Show(JsonSerializer.Deserialize(bytes, FactsCacheJsonContext.Default.FactsCacheDocument));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return "refused";
        }
    }

    private static string Reader(byte[] bytes)
    {
        try
        {
            return Show(FactsCacheReader.Read(bytes));
        }
        catch (JsonException)
        {
            return "refused";
        }
    }

    private static string Show(FactsCacheDocument? document) =>
        document is null ? "null" : JsonSerializer.Serialize(document, FactsCacheJsonContext.Default.FactsCacheDocument);
}
