using ProxClmc.Guard.Configuration;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Testing;
using Xunit.Abstractions;

namespace ProxClmc.Guard.Cli.Tests.Configuration;

public sealed class GuardConfigFuzzTests(ITestOutputHelper output)
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
                var config = GuardConfigLoader.Load(input, "fuzz.toml");

                // Whatever loads must be usable: the checks hold for every value that gets through.
                Assert.InRange(config.Ssh.Port, 1, 65535);
                Assert.InRange(config.Ssh.Parallelism, 1, 256);
                Assert.InRange(config.Api.Parallelism, 1, 256);
                Assert.True(config.Ssh.ConnectTimeoutSeconds > 0 && config.Api.TimeoutSeconds > 0);
                Assert.NotEmpty(config.Api.Urls);
                Assert.All(config.Api.Urls, url => Assert.Equal("https", url.Scheme));
                Assert.StartsWith("/", config.Cluster.PveRoot);
                Assert.False(string.IsNullOrEmpty(config.Policy.Baseline));
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

        output.WriteLine($"{loaded} inputs loaded, {refused} refused");

        // Both outcomes must occur, or the fuzzer is not reaching the loader's checks.
        Assert.True(loaded > 0, "no input loaded");
        Assert.True(refused > 0, "no input refused");
    }
}
