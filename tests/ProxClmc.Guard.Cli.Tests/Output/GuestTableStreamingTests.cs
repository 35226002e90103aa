using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Cli.Tests.Output;

/// <summary>
/// The guest table is written row by row: each row is on the output before the next one is formatted, and the
/// layout is the one the whole table would get (the golden files hold the full scan output).
/// </summary>
public sealed class GuestTableStreamingTests
{
    private static readonly string[] Headers = ["VMID", "Name", "Node", "CPU", "Verdict", "Reason"];

    private static readonly string[][] Rows =
    [
        ["100", "web", "pve1", "x86-64-v2-AES", "safe", "all nodes run it"],
        ["", "", "", "", "", "- a note under the guest"],
        ["101", "a-much-longer-guest-name", "pve2", "host", "unsafe", "host CPU on nodes that differ: pve1 and pve2 have other CPUs"],
    ];

    private static TextTable.Columns Measured()
    {
        var columns = new TextTable.Columns(Headers.Length);
        foreach (var row in Rows)
        {
            columns.Add(row);
        }

        return columns;
    }

    [Fact]
    public void Each_row_is_written_before_the_next_is_asked_for()
    {
        var output = new StringWriter { NewLine = "\n" };
        var linesSeenWhenAsked = new List<int>();
        IEnumerable<string[]> Streamed()
        {
            foreach (var row in Rows)
            {
                linesSeenWhenAsked.Add(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
                yield return row;
            }
        }

        TextTable.WriteRows(output, 120, Headers, Measured(), Streamed(), [(3, 16), (1, 10), (1, 0)]);

        // Header and rule come first, then one more line per row already written.
        Assert.Equal([2, 3, 4], linesSeenWhenAsked);
    }

    [Theory]
    [InlineData(40, true)]
    [InlineData(60, true)]
    [InlineData(120, true)]
    [InlineData(60, false)]
    public void A_streamed_table_is_laid_out_like_the_whole_table(int width, bool shorten)
    {
        var whole = new StringWriter { NewLine = "\n" };
        TextTable.Write(whole, width, Headers, Rows, [(3, 16), (1, 10), (1, 0)], shorten);

        // One array reused for every row, as the guest table does.
        var streamed = new StringWriter { NewLine = "\n" };
        IEnumerable<string[]> Reused()
        {
            var row = new string[Headers.Length];
            foreach (var source in Rows)
            {
                source.CopyTo(row, 0);
                yield return row;
            }
        }

        TextTable.WriteRows(streamed, width, Headers, Measured(), Reused(), [(3, 16), (1, 10), (1, 0)], shorten);

        Assert.Equal(whole.ToString(), streamed.ToString());
        Assert.Contains("  101 ", streamed.ToString(), StringComparison.Ordinal);
    }
}
