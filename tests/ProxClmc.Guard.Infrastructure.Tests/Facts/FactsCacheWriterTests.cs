using System.Text;
using System.Text.Json;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Infrastructure.Tests.Facts;

/// <summary>
/// The facts cache is written with <see cref="Utf8JsonWriter"/>: for any document the serializer can hold, the bytes are
/// exactly what the source-generated serializer (<see cref="FactsCacheJsonContext"/>) writes, so every reader of the file
/// (this tool's older versions, scripts) sees the same file as before.
/// </summary>
public sealed class FactsCacheWriterTests
{
    private static readonly string[] Seeds =
    [
        """
        {"schemaVersion":1,"nodes":{
          "pve1":{"source":"ssh","address":"10.0.0.1","collectedAt":"2026-11-23T12:00:00.1234567+00:00",
            "cpu":{"architecture":"x86_64","vendorId":"AuthenticAMD","family":23,"model":1,"stepping":2,
              "modelName":"AMD EPYC 7301 16-Core Processor","flags":["aes","avx2"],"bugs":["spectre_v1"],
              "physicalAddressBits":43,"processorCount":64,"flagsNotOnAllProcessors":["constant_tsc"]},
            "identity":"ssh-host-key:SHA256:abc+/="},
          "n\u00e9ud <&> \"q\" \\ \u0001":{"source":"api","collectedAt":"2026-11-23T12:00:01.5+01:00",
            "cpu":{"architecture":"x86_64","vendorId":"GenuineIntel","modelName":"Intel\u00ae Xeon\u00ae \u2028 'x'","flags":[],"processorCount":-2}},
          "pve3":null,
          "pve4":{"source":"cache","collectedAt":"0001-01-01T00:00:00Z","cpu":{"flags":[null,"fpu"],"bugs":[null],"flagsNotOnAllProcessors":[]}},
          "pve5":{"source":"local","collectedAt":"9999-12-31T23:59:59.9999999+14:00","cpu":null}}}
        """,
        """{"schemaVersion":-7}""",
        """{"schemaVersion":1,"nodes":{}}""",
        """{"nodes":{"a":{"cpu":{"family":-2147483648,"model":2147483647,"stepping":0,"physicalAddressBits":0,"processorCount":0}}}}""",
    ];

    [Fact]
    public void Every_seed_is_written_as_the_serializer_writes_it()
    {
        foreach (var seed in Seeds)
        {
            var document = JsonSerializer.Deserialize(Encoding.UTF8.GetBytes(seed), FactsCacheJsonContext.Default.FactsCacheDocument)!;

            Assert.Equal(Serializer(document), Encoding.UTF8.GetString(FactsCacheWriter.Write(document)));
        }
    }

    [Fact]
    public void Mutated_documents_are_written_as_the_serializer_writes_them()
    {
        var written = 0;
        foreach (var input in Fuzz.Inputs(Seeds, Fuzz.Cases()))
        {
            FactsCacheDocument? document;
            try
            {
                document = JsonSerializer.Deserialize(new UTF8Encoding(false, false).GetBytes(input), FactsCacheJsonContext.Default.FactsCacheDocument);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                continue;
            }

            if (document is null)
            {
                continue;
            }

            written++;
            Assert.True(Serializer(document) == Encoding.UTF8.GetString(FactsCacheWriter.Write(document)), input);
        }

        Assert.True(written > 0, "some mutated documents were still read and written");
    }

    [Fact]
    public async Task A_cache_file_loaded_and_saved_again_is_unchanged()
    {
        var dir = Directory.CreateTempSubdirectory("proxclmc-facts-writer-");
        try
        {
            var path = Path.Combine(dir.FullName, "facts-cache.json");
            // The complete entries of the first seed (Load drops incomplete ones), as the serializer wrote them before.
            var document = JsonSerializer.Deserialize(Encoding.UTF8.GetBytes(Seeds[0]), FactsCacheJsonContext.Default.FactsCacheDocument)!;
            document.Nodes = new SortedDictionary<string, CachedNode?>(
                document.Nodes!.Where(n => n.Value?.Cpu?.Architecture is not null).ToDictionary(n => n.Key, n => n.Value), StringComparer.Ordinal);
            Assert.Equal(2, document.Nodes.Count);
            var expected = Serializer(document);
            File.WriteAllText(path, expected);

            await FactsCache.Load(path).SaveAsync();

            Assert.Equal(expected, File.ReadAllText(path));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string Serializer(FactsCacheDocument document) =>
        Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(document, FactsCacheJsonContext.Default.FactsCacheDocument));
}
