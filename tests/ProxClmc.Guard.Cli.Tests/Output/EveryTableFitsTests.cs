using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Output;

/// <summary>
/// Every table follows the one width policy: at 80, 120 and 200 columns each of its lines fits, a shortened cell
/// ends with "…" right after a whole token of the text JSON and -v print whole, and nothing is wrapped onto a
/// second line. The tables: nodes (baseline, scan, fix), guests (scan), the fix plan, check, check --evacuate and
/// HA maintenance mode, and the placement plan.
/// </summary>
public sealed class EveryTableFitsTests
{
    private static readonly string Unreadable = GuardRun.Fixture("snapshots", "unreadable-node");

    public static TheoryData<int> Widths() => new([80, 120, 200]);

    private static CliResult Run(int width, params string[] args) => GuardRun.RunAtWidth(width, args);

    /// <summary>Table lines are indented by two; the lines above and below a table are sentences, not tables.</summary>
    private static void AssertFits(CliResult result, int width)
    {
        var rows = result.OutLines.Where(l => l.StartsWith("  ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, line => Assert.True(line.Length <= width, $"{line.Length} > {width}: {line}"));
    }

    /// <summary>A shortened cell is a prefix of the whole text that ends where a token ends, then "…".</summary>
    private static void AssertShortenedAtATokenBoundary(string cell, string whole)
    {
        Assert.EndsWith("…", cell, StringComparison.Ordinal);
        var kept = cell[..^1];
        Assert.StartsWith(kept, whole, StringComparison.Ordinal);
        Assert.True(kept.Length < whole.Length && whole[kept.Length] is ' ' or ',' or ';' or ':', $"'{cell}' cuts '{whole}' inside a token");
    }

    private static string[] Cells(string line) => line.Trim().Split("   ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string Row(CliResult result, string start) => result.OutLines.Single(l => l.StartsWith(start, StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(Widths))]
    public void The_node_table_fits_and_says_why_a_node_is_unreadable_whole_in_json_and_with_verbose(int width)
    {
        var table = Run(width, "baseline", "--from", Unreadable, "--allow-partial");
        var verbose = Run(width, "baseline", "--from", Unreadable, "--allow-partial", "-v");
        using var json = JsonDocument.Parse(Run(width, "baseline", "--from", Unreadable, "--allow-partial", "--format", "json").Out);

        Assert.Equal(1, table.Exit);
        AssertFits(table, width);
        var error = json.RootElement.GetProperty("cluster").GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("name").GetString() == "pve-c").GetProperty("error").GetString()!;
        var whole = "UNREADABLE: " + error;
        var cell = Cells(Row(table, "  pve-c ")).Single(c => c.StartsWith("UNREADABLE", StringComparison.Ordinal));
        if (cell != whole || width == 80)
        {
            AssertShortenedAtATokenBoundary(cell, whole);
        }

        // The CPU model column is never dropped; narrow terminals leave out address, source and vendor instead.
        Assert.Equal(["Node", "CPU", "Level", "Best named model", "Phys bits"], Cells(Row(table, "  Node ")).Where(h => h is not ("Address" or "Vendor" or "Source")));
        Assert.Equal(width >= 120, Row(table, "  Node ").Contains("Address", StringComparison.Ordinal));
        Assert.Contains(whole, verbose.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("…", verbose.Out, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Scan_prints_the_node_and_guest_tables_within_the_width_and_every_reason_whole_in_json(int width)
    {
        var scan = Run(width, "scan", "--from", GuardRun.Lab);
        using var json = JsonDocument.Parse(Run(width, "scan", "--from", GuardRun.Lab, "--format", "json").Out);

        AssertFits(scan, width);
        var reasons = json.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("vmid").GetInt32(), g => g.GetProperty("reason").GetString()!);
        foreach (var (vmId, reason) in reasons)
        {
            var cell = Cells(Row(scan, $"  {vmId} "))[^1];
            if (cell != reason)
            {
                AssertShortenedAtATokenBoundary(cell, reason);
            }
        }

        Assert.Contains(scan.OutLines, l => l.StartsWith("  pve4 ", StringComparison.Ordinal) && l.Contains("Intel Xeon Gold 6132", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void The_fix_plan_table_fits_and_its_reasons_are_those_of_the_plan_json(int width)
    {
        var plan = Run(width, "fix", "--from", GuardRun.Lab);
        using var json = JsonDocument.Parse(Run(width, "fix", "--from", GuardRun.Lab, "--format", "json").Out);

        Assert.Equal(2, plan.Exit);
        AssertFits(plan, width);
        foreach (var entry in json.RootElement.GetProperty("plan").GetProperty("entries").EnumerateArray())
        {
            var reason = entry.GetProperty("reason").GetString()!;
            var cell = Cells(Row(plan, $"  {entry.GetProperty("vmId").GetInt32()} "))[^1];
            if (cell != reason)
            {
                AssertShortenedAtATokenBoundary(cell, reason);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Check_and_evacuate_fit_and_verbose_prints_every_refusal_whole(int width)
    {
        var check = Run(width, "check", "--from", GuardRun.Lab, "106");
        var evacuate = Run(width, "check", "--from", GuardRun.Lab, "--evacuate", "pve2");
        var verbose = Run(width, "check", "--from", GuardRun.Lab, "--evacuate", "pve2", "-v");
        using var json = JsonDocument.Parse(Run(width, "check", "--from", GuardRun.Lab, "--evacuate", "pve2", "--format", "json").Out);

        Assert.Equal(2, check.Exit);
        Assert.Equal(2, evacuate.Exit);
        AssertFits(check, width);
        AssertFits(evacuate, width);
        var lines = evacuate.OutLines.ToList();
        var at = lines.FindIndex(l => l.StartsWith("  106 ", StringComparison.Ordinal));
        var vm106 = json.RootElement.GetProperty("vms").EnumerateArray().Single(v => v.GetProperty("vmid").GetInt32() == 106);
        var refusals = vm106.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(3, refusals.Count);
        for (var i = 0; i < refusals.Count; i++)
        {
            var whole = $"not {refusals[i].GetProperty("node").GetString()}: {refusals[i].GetProperty("reason").GetString()}";
            Assert.Contains(verbose.OutLines, l => l.Trim() == whole);
            var shown = lines[at + 1 + i].Trim();
            if (shown != whole || width == 80)
            {
                AssertShortenedAtATokenBoundary(shown, whole);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void The_HA_maintenance_table_fits(int width)
    {
        var evacuate = Run(width, "check", "--from", RepoPaths.HaLab, "--evacuate", "pve4");

        AssertFits(evacuate, width);
        Assert.Contains(evacuate.OutLines, l => l.StartsWith("  vm:205  AT RISK  HA picks", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void The_placement_plan_fits_and_verbose_prints_what_each_guest_keeps_and_loses_whole(int width)
    {
        var plan = Run(width, "fix", "--strategy", "placement", "--from", RepoPaths.HaLab);
        var verbose = Run(width, "fix", "--strategy", "placement", "--from", RepoPaths.HaLab, "-v");

        AssertFits(plan, width);
        Assert.Contains(plan.OutLines, l => l.StartsWith("  205    ci-runner pve4   x86-64-v3  group", StringComparison.Ordinal));
        var whole = verbose.OutLines.First(l => l.TrimStart().StartsWith("keeps cpu", StringComparison.Ordinal));
        var shown = plan.OutLines.First(l => l.TrimStart().StartsWith("keeps cpu", StringComparison.Ordinal));
        if (shown != whole)
        {
            AssertShortenedAtATokenBoundary(shown.TrimStart(), whole.TrimStart());
        }
    }
}
