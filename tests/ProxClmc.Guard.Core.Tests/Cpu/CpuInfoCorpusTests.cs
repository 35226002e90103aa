using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Cpu;

/// <summary>
/// Every real /proc/cpuinfo in tests/corpus/cpuinfo against the reviewed expectation in Fixtures/cpuinfo-levels.tsv:
/// given this node's cpuinfo, the tool reports this level (or this error).
/// </summary>
public sealed class CpuInfoCorpusTests
{
    private static readonly string CorpusDir = Path.Combine(RepoPaths.Corpus, "cpuinfo");

    private sealed record Expectation(string File, string Result, string Vendor, string Kernel, string Comment);

    private static Dictionary<string, Expectation> Fixture() =>
        File.ReadAllLines(RepoPaths.Combine("tests", "ProxClmc.Guard.Core.Tests", "Fixtures", "cpuinfo-levels.tsv"))
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split('\t'))
            .Select(c => new Expectation(c[0], c[1], c[2], c[3], c[4]))
            .ToDictionary(e => e.File, StringComparer.Ordinal);

    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(CorpusDir, "*.txt").Select(Path.GetFileName).Order(StringComparer.Ordinal))
        {
            data.Add(file!);
        }

        return data;
    }

    [Fact]
    public void Every_corpus_file_has_a_fixture_row_and_every_row_a_file()
    {
        var files = Directory.GetFiles(CorpusDir).Select(f => Path.GetFileName(f)).Where(f => f != "SOURCES.tsv").Order(StringComparer.Ordinal).ToList();
        var rows = Fixture().Keys.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(files, rows);
        Assert.True(files.Count >= 70, $"only {files.Count} corpus files");
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Each_corpus_file_gives_its_reviewed_level(string file)
    {
        var expected = Fixture().GetValueOrDefault(file);
        Assert.True(expected is not null, $"{file} has no row in Fixtures/cpuinfo-levels.tsv");

        var result = CpuInfoParser.Parse(File.ReadAllText(Path.Combine(CorpusDir, file)), file);
        if (expected.Result.StartsWith("error:", StringComparison.Ordinal))
        {
            Assert.False(result.IsSuccess, $"{file}: expected {expected.Result}");
            var part = expected.Result["error:".Length..];
            if (part == "architecture")
            {
                Assert.StartsWith("unsupported architecture: ", result.Error.Message);
                Assert.EndsWith(" (ProxClmc.Guard judges x86-64 nodes only)", result.Error.Message);
                Assert.True(result.Error.Line > 0, "the error names the line that shows the architecture");
            }
            else
            {
                Assert.Contains(part, result.Error.Message);
            }

            return;
        }

        Assert.True(result.IsSuccess, $"{file}: {result.Error}");
        var cpu = result.Value;
        Assert.Equal(expected.Vendor, cpu.VendorId);
        Assert.Equal(expected.Kernel, cpu.Architecture);
        if (file.Contains("TRUNCATED", StringComparison.Ordinal))
        {
            Assert.Contains(cpu.Warnings, w => w.Contains("cut off", StringComparison.Ordinal));
        }

        var capability = NodeCapability.Compute(NodeFacts.Readable(file, cpu, FactsSource.Snapshot), CpuCatalog.Default);
        Assert.Equal(expected.Result, CpuCatalog.LevelName(capability.Level));
    }
}
