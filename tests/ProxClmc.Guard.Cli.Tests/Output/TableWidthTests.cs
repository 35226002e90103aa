using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Cli.Tests.Output;

/// <summary>
/// One width policy for every table: lines fit the width, cells are shortened at a token boundary with "…", and
/// JSON and -v keep every reason whole.
/// </summary>
public sealed class TableWidthTests
{
    private static CliResult Run(int width, params string[] args) => GuardRun.RunAtWidth(width, args);

    private static readonly string LongReason = ReasonOf(115);

    private static string ReasonOf(int vmId)
    {
        using var document = JsonDocument.Parse(GuardRun.Run("scan", "--from", GuardRun.Lab, "--format", "json").Out);
        return document.RootElement.GetProperty("guests").EnumerateArray().Single(g => g.GetProperty("vmid").GetInt32() == vmId).GetProperty("reason").GetString()!;
    }

    [Theory]
    [InlineData(80)]
    [InlineData(120)]
    [InlineData(200)]
    public void Scan_and_fix_tables_fit_the_width(int width)
    {
        var scan = Run(width, "scan", "--from", GuardRun.Lab);
        var fix = Run(width, "fix", "--from", GuardRun.Lab);

        foreach (var line in scan.OutLines.Concat(fix.OutLines).Where(l => l.StartsWith("  ", StringComparison.Ordinal) || l.StartsWith('─')))
        {
            Assert.True(line.Length <= width, $"{line.Length} > {width}: {line}");
        }

        var row115 = scan.OutLines.Single(l => l.StartsWith("  115 ", StringComparison.Ordinal));
        Assert.EndsWith("…", row115, StringComparison.Ordinal);
        Assert.StartsWith(row115[(row115.IndexOf("ignored ", StringComparison.Ordinal) + 8)..].Trim().TrimEnd('…'), LongReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shortened_reason_or_cpu_never_ends_inside_a_token()
    {
        var scan = Run(80, "scan", "--from", GuardRun.Lab);

        var row122 = scan.OutLines.Single(l => l.StartsWith("  122 ", StringComparison.Ordinal));
        Assert.Contains(" args: -cpu kvm64… ", row122, StringComparison.Ordinal); // not "args: -cpu kvm64,+ss…"
        Assert.Equal("pve1 lacks 47 flags…", TableWidth.Shorten("pve1 lacks 47 flags another node has", 20));
        Assert.Equal("x86-64-v2-AES…", TableWidth.Shorten("x86-64-v2-AES,flags=+hv-evmcs", 20));
        Assert.Equal("…", TableWidth.Shorten("EPYC-Genoa-v1,flags=+avx512f", 10));
        Assert.Equal("short", TableWidth.Shorten("short", 5));
    }

    [Fact]
    public void Json_and_verbose_keep_every_reason_whole()
    {
        var verbose = Run(80, "scan", "--from", GuardRun.Lab, "-v");

        Assert.Contains(LongReason, verbose.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("…", verbose.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("…", Run(80, "scan", "--from", GuardRun.Lab, "--format", "json").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Not_a_terminal_means_120_columns()
    {
        Assert.Equal(120, TableWidth.NotATerminal);

        // The test host's output is redirected, as under systemd or in a pipe.
        Assert.Equal(120, TableWidth.ForConsole());
    }
}
