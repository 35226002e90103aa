using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Support;

/// <summary>A clock that always reads the same instant, so reports carry a stable timestamp.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>What one <c>proxclmc-guard</c> invocation printed and returned.</summary>
internal sealed record CliResult(int Exit, string Out, string Error)
{
    public IReadOnlyList<string> ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public IReadOnlyList<string> OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {Exit}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>Runs the real command line in-process with captured output, a fixed clock and a fixed width.</summary>
internal static class GuardRun
{
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    public static string Lab => RepoPaths.LabCluster;

    public static string Corpus(string kind, string file) => Path.Combine(RepoPaths.Corpus, kind, file);

    public static string CpuInfo(string file) => Corpus("cpuinfo", file);

    /// <summary>A path under Fixtures, its corpus files in place (see <see cref="CorpusTree"/>).</summary>
    public static string Fixture(params string[] parts) =>
        CorpusTree.Of(Testing.Corpus.TestData("ProxClmc.Guard.Cli.Tests", ["Fixtures", .. parts]));

    public static CliResult Run(params string[] args) => RunWith(null, args);

    public static CliResult RunWith(IReadOnlyDictionary<string, string>? environment, params string[] args) => RunAt(Now, environment, args);

    /// <summary>As <see cref="RunWith"/>, with the clock reading <paramref name="now"/> (a plan applied later).</summary>
    public static CliResult RunAt(DateTimeOffset now, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        Run(now, environment, 240, args);

    /// <summary>As <see cref="Run(string[])"/> on a terminal <paramref name="width"/> columns wide.</summary>
    public static CliResult RunAtWidth(int width, params string[] args) => Run(Now, null, width, args);

    private static CliResult Run(DateTimeOffset now, IReadOnlyDictionary<string, string>? environment, int width, string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var env = new CliEnvironment
        {
            Out = output,
            Error = error,
            Clock = new FixedClock(now),
            HostName = () => "testhost",
            OutputWidth = width,
            // The hook's decision is checked here, not its timing: a loaded machine must not turn it into "no answer".
            HookBudget = ServerTimeouts.Answer,
            // Only what the test gives: the developer's own PVE_* variables must not leak in.
            GetEnvironmentVariable = name => environment is not null && environment.TryGetValue(name, out var value) ? value : null,
        };

        var exit = new GuardCli(env).InvokeAsync(args).GetAwaiter().GetResult();
        return new CliResult(exit, output.ToString(), error.ToString());
    }
}
