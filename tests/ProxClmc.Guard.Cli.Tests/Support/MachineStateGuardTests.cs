using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Support;

/// <summary>The guard every test runs under: a write to a watched place fails the test that made it.</summary>
public sealed class MachineStateGuardTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("proxclmc-state-guard-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Creating_changing_or_removing_a_watched_file_fails_the_test()
    {
        var state = Path.Combine(_root, "var-lib-proxclmc-guard");
        var guard = new MachineStateGuardAttribute { Paths = [state] };
        var method = typeof(MachineStateGuardTests).GetMethod(nameof(Creating_changing_or_removing_a_watched_file_fails_the_test))!;

        guard.Before(method);
        guard.After(method); // nothing changed: passes

        guard.Before(method);
        Directory.CreateDirectory(state);
        File.WriteAllText(Path.Combine(state, "facts-cache.json"), "{}");
        var e = Assert.Throws<InvalidOperationException>(() => guard.After(method));
        Assert.Contains("changed the machine's real state", e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(state, "facts-cache.json") + " (absent -> file 2 bytes", e.Message, StringComparison.Ordinal);

        guard.Before(method);
        File.Delete(Path.Combine(state, "facts-cache.json"));
        Assert.Throws<InvalidOperationException>(() => guard.After(method));
    }

    [Fact]
    public void The_suite_watches_the_tools_default_paths()
    {
        Assert.Contains("/var/lib/proxclmc-guard", MachineState.DefaultPaths);
        Assert.Contains(global::ProxClmc.Guard.Application.Configuration.GuardConfig.DefaultPath[..global::ProxClmc.Guard.Application.Configuration.GuardConfig.DefaultPath.LastIndexOf('/')], MachineState.DefaultPaths);
        Assert.StartsWith("/var/lib/proxclmc-guard/", global::ProxClmc.Guard.Application.Configuration.GuardConfig.Default.Facts.CacheFile, StringComparison.Ordinal);
        Assert.StartsWith("/var/lib/proxclmc-guard/", global::ProxClmc.Guard.Application.Configuration.GuardConfig.Default.Fix.UndoDir, StringComparison.Ordinal);
    }
}
