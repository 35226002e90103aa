using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Cpu;

/// <summary>Random text and mutated corpus files: the parser answers with a value or a ParseError, never an exception.</summary>
public sealed class CpuInfoParserFuzzTests
{
    private static IReadOnlyList<string> Seeds() =>
        Directory.GetFiles(Path.Combine(RepoPaths.Corpus, "cpuinfo"), "*.txt").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();

    [Fact]
    public void Any_input_gives_a_value_or_a_parse_error()
    {
        var seeds = Seeds();
        var cases = 0;
        var values = 0;
        foreach (var input in Fuzz.InputsWithLongLines(seeds, Fuzz.Cases()))
        {
            cases++;
            var result = CpuInfoParser.Parse(input, "fuzz");
            if (result.IsSuccess)
            {
                values++;
                Assert.NotNull(result.Value.Flags);
                Assert.NotNull(result.Value.VendorId);
                Assert.True(result.Value.ProcessorCount >= 1);

                // Whatever parsed must also be judged without an exception.
                var capability = NodeCapability.Compute(NodeFacts.Readable("n", result.Value, FactsSource.Snapshot), CpuCatalog.Default);
                Assert.InRange(capability.Level, CpuLevel.None, CpuLevel.V4);
            }
            else
            {
                Assert.Equal("fuzz", result.Error.Source);
                Assert.False(string.IsNullOrWhiteSpace(result.Error.Message));
                Assert.True(result.Error.Line >= 0 && result.Error.Column >= 0);
            }
        }

        Assert.Equal(Fuzz.Cases() + Fuzz.LongLines(Seeds()).Count(), cases);

        // Mutations of real files must often still parse, or the fuzzer only tests the error path.
        Assert.True(values > cases / 10, $"only {values} of {cases} inputs parsed");
    }

    [Fact]
    public void Any_API_flags_line_gives_a_value_or_a_parse_error()
    {
        foreach (var input in Fuzz.InputsWithLongLines(Seeds(), Math.Max(100, Fuzz.Cases() / 4), Fuzz.Seed + 1))
        {
            var cut = input.Length > 200 ? input[..200] : input;
            var result = CpuInfoParser.FromApi(cut, input, "api");
            Assert.True(result.IsSuccess || result.Error is not null);
        }
    }
}
