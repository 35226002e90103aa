using ProxClmc.Guard.Configuration;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Configuration;

public sealed class GuardConfigFuzzTests
{
    [Fact]
    public void Any_text_gives_a_configuration_or_a_one_line_configuration_error()
    {
        var fixtures = Directory.GetFiles(RepoPaths.Combine("tests", "ProxClmc.Guard.Cli.Tests", "Fixtures", "config"), "*.toml");
        var seeds = fixtures.Append(RepoPaths.Combine("proxclmc-guard.toml")).Order().Select(File.ReadAllText).ToArray();
        var loaded = 0;
        var refused = 0;

        foreach (var input in Fuzz.Inputs(seeds, Fuzz.Cases()))
        {
            try
            {
                Assert.NotNull(GuardConfigLoader.Load(input, "fuzz.toml"));
                loaded++;
            }
            catch (GuardConfigurationException e)
            {
                Assert.StartsWith("fuzz.toml:", e.Message);
                Assert.DoesNotContain('\n', e.Message);
                Assert.DoesNotContain('\r', e.Message);
                refused++;
            }
        }

        // Both outcomes must occur, or the fuzzer is not reaching the loader's checks.
        Assert.True(loaded > 0, "no input loaded");
        Assert.True(refused > 0, "no input refused");
    }
}
