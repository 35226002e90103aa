using ProxClmc.Guard.Testing;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.FakePve;

namespace ProxClmc.Guard.Cli.Tests.Faults;

/// <summary>A cluster with many unsafe guests: the exit line stays one short line a monitoring system can show.</summary>
public sealed class LargeClusterTests
{
    [Fact]
    public void The_exit_line_names_the_first_twenty_unsafe_guests_and_counts_the_rest()
    {
        using var tree = new TempTree();
        FakeSnapshotGenerator.Write(tree.Root, 4, 200, ScaleInputs.NodeCpuInfoPaths);

        var result = GuardRun.Run("scan", "--from", tree.Root, "--format", "json");

        Assert.True(result.Exit == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Matches(@"^proxclmc-guard: \d+ guests are not safe to live-migrate everywhere: (\d+, ){19}\d+ and \d+ more$", line);

        Assert.True(line.Length < 300, line);
    }
}
