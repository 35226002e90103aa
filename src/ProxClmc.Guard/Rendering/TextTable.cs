using System.Text;

namespace ProxClmc.Guard.Rendering;

/// <summary>
/// A table laid out by hand under the width policy of <see cref="TableWidth"/>: one line per row; the flexible
/// column (the reason, by default the last) gets what the others leave; when that is too little, the columns named
/// shrinkable give up room first, in order, down to their floor (a floor of 0: the column is left out whole). Every cell is
/// shortened at a token boundary with "…", never wrapped or split inside a token.
/// </summary>
internal static class TextTable
{
    private const int Gap = 3;
    private const int MinLast = 12;

    /// <summary>Room the reason should get before names and cpu values are shortened to make it.</summary>
    private const int PreferredLast = 40;

    /// <param name="shrinkable">Column indexes that may be shortened, in order, each with the width it keeps at least (0: left out rather than shortened).</param>
    /// <param name="shorten">False (-v): every cell whole, lines as long as they need.</param>
    /// <param name="flexible">The column that takes the room left (default: the last).</param>
    /// <param name="preferred">Room the flexible column should get before shrinkable columns give up theirs.</param>
    public static void Write(TextWriter output, int width, string[] headers, IReadOnlyList<string[]> rows, IReadOnlyList<(int Column, int Floor)> shrinkable, bool shorten = true, int flexible = -1, int preferred = PreferredLast)
    {
        // Names and values come from the cluster or a snapshot: control characters are shown, never passed through.
        rows = rows.Select(r => r.Select(Names.Visible).ToArray()).ToList();
        var columns = new Columns(headers.Length);
        foreach (var row in rows)
        {
            columns.Add(row);
        }

        WriteRows(output, width, headers, columns, rows, shrinkable, shorten, flexible, preferred);
    }

    /// <summary>
    /// The same table, each row written as soon as it comes: the layout needs only what <paramref name="columns"/>
    /// measured in a cheap first pass over the same rows, so no row has to be kept. The cells must already be shown
    /// with <see cref="Names.Visible"/>; a row array may be reused for the next row once it was taken.
    /// </summary>
    public static void WriteRows(TextWriter output, int width, string[] headers, Columns columns, IEnumerable<string[]> rows, IReadOnlyList<(int Column, int Floor)> shrinkable, bool shorten = true, int flexible = -1, int preferred = PreferredLast)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var flex = flexible < 0 ? headers.Length - 1 : flexible;
        var widths = new int[headers.Length];
        for (var c = 0; c < widths.Length; c++)
        {
            widths[c] = Math.Max(headers[c].Length, columns.Longest[c]);
        }

        var shown = Enumerable.Range(0, headers.Length).ToList();
        if (shorten)
        {
            int Others() => shown.Where(c => c != flex).Sum(c => widths[c] + Gap);
            var available = width - 2;
            var wanted = Math.Max(MinLast, Math.Min(preferred, widths[flex]));
            foreach (var (column, floor) in shrinkable)
            {
                var excess = Others() + wanted - available;
                if (excess <= 0)
                {
                    break;
                }

                if (floor == 0)
                {
                    // Addresses, versions and model names are single tokens: "…" alone says nothing, so such a
                    // column is shown whole or not at all.
                    shown.Remove(column);
                }
                else
                {
                    var least = Math.Max(floor, Math.Max(TokenFloor(headers[column]), columns.TokenFloors[column]));
                    widths[column] = Math.Max(Math.Min(least, widths[column]), widths[column] - excess);
                }
            }

            widths[flex] = Math.Min(widths[flex], Math.Max(MinLast, available - Others()));
        }

        var last = shown[^1];
        var line = new StringBuilder();
        void Row(string[] cells)
        {
            line.Clear().Append("  ");
            foreach (var c in shown)
            {
                var cell = shorten ? TableWidth.Shorten(cells[c], widths[c]) : cells[c];
                line.Append(cell);
                if (c != last)
                {
                    line.Append(' ', Math.Max(0, widths[c] - cell.Length) + Gap);
                }
            }

            // Trimmed in place and written from the builder: no string per line.
            var end = line.Length;
            while (end > 0 && char.IsWhiteSpace(line[end - 1]))
            {
                end--;
            }

            line.Length = end;
            output.WriteLine(line);
        }

        Row(headers);
        // The rule ends under the last header: a long reason does not stretch it.
        var ruled = shown.Where(c => c != last).Sum(c => widths[c] + Gap) + headers[last].Length;
        output.WriteLine("  " + new string('─', Math.Min(ruled, Math.Max(1, width - 2))));
        foreach (var row in rows)
        {
            Row(row);
        }
    }

    /// <summary>What the layout needs to know of a table's rows: per column the longest cell and the widest first token.</summary>
    public sealed class Columns(int count)
    {
        public int[] Longest { get; } = new int[count];

        public int[] TokenFloors { get; } = new int[count];

        /// <summary>Measures one row (cells already shown with <see cref="Names.Visible"/>).</summary>
        public void Add(string[] cells)
        {
            ArgumentNullException.ThrowIfNull(cells);
            for (var c = 0; c < Longest.Length; c++)
            {
                Longest[c] = Math.Max(Longest[c], cells[c].Length);
                TokenFloors[c] = Math.Max(TokenFloors[c], TokenFloor(cells[c]));
            }
        }
    }

    /// <summary>
    /// The narrowest the column may get for this cell to keep at least its first token ("x86-64-v2-AES…", never a
    /// lone "…"): a cell with no token boundary stays whole.
    /// </summary>
    private static int TokenFloor(string cell)
    {
        var boundary = cell.AsSpan().IndexOfAny(' ', ',', ';');
        return boundary > 0 ? Math.Min(cell.Length, boundary + 1) : cell.Length;
    }
}
