using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Cli.Tests.Output;

/// <summary>
/// The node table's CPU cell leaves out what every CPU of a vendor shares (trademark marks, "CPU", "Processor", the
/// base clock), so the part that tells two nodes apart fits; -v and JSON keep the name the node reports.
/// </summary>
public sealed class ModelNameCellTests
{
    [Theory]
    [InlineData("Intel(R) Xeon(R) CPU E5-2620 0 @ 2.00GHz", "Intel Xeon E5-2620 0")]
    [InlineData("Intel(R) Xeon(R) Gold 6132 CPU @ 2.60GHz", "Intel Xeon Gold 6132")]
    [InlineData("Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz", "Intel Core i7-8700")]
    [InlineData("AMD EPYC 7402P 24-Core Processor", "AMD EPYC 7402P 24-Core")]
    [InlineData("AMD Opteron(tm) Processor 6172", "AMD Opteron 6172")]
    [InlineData("Common KVM processor", "Common KVM processor")]
    [InlineData("CPU", "CPU")]
    [InlineData("  Intel(R)   Xeon(R)  CPU         E5-2699 v4  ", "Intel Xeon E5-2699 v4")]
    public void The_cell_keeps_what_tells_cpus_apart(string reported, string cell) =>
        Assert.Equal(cell, Names.ShortModelName(reported));

    [Fact]
    public void The_table_shows_the_short_name_and_verbose_and_json_the_reported_one()
    {
        var table = GuardRun.Run("baseline", "--from", GuardRun.Lab);
        var verbose = GuardRun.Run("baseline", "--from", GuardRun.Lab, "-v");
        var json = GuardRun.Run("baseline", "--from", GuardRun.Lab, "--format", "json");

        var row = table.OutLines.Single(l => l.StartsWith("  pve4 ", StringComparison.Ordinal));
        Assert.Contains("Intel Xeon Gold 6132 ", row, StringComparison.Ordinal);
        Assert.DoesNotContain("(R)", table.Out, StringComparison.Ordinal);
        Assert.Contains("Intel(R) Xeon(R) Gold 6132 CPU @ 2.60GHz", verbose.OutLines.Single(l => l.StartsWith("  pve4 ", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("\"modelName\": \"Intel(R) Xeon(R) Gold 6132 CPU @ 2.60GHz\"", json.Out, StringComparison.Ordinal);
    }
}
