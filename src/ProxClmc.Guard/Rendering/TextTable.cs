using System.Text;

namespace ProxClmc.Guard.Rendering;

/// <summary>
/// A table laid out by hand under the width policy of <see cref="TableWidth"/>: one line per row, the last column
/// (the reason) gets what the others leave; when that is too little, the columns named shrinkable give up room
/// first. Every cell is shortened at a token boundary with "…", never wrapped or split inside a token.
/// </summary>
public static class TextTable
{
    private const int Gap = 3;
    private const int MinLast = 12;

    /// <summary>Room the reason should get before names and cpu values are shortened to make it.</summary>
    private const int PreferredLast = 40;

    /// <param name="shrinkable">Column indexes that may be shortened, in order, each with the width it keeps at least.</param>
    /// <param name="shorten">False (-v): every cell whole, lines as long as they need.</param>
    public static void Write(TextWriter output, int width, string[] headers, IReadOnlyList<string[]> rows, IReadOnlyList<(int Column, int Floor)> shrinkable, bool shorten = true)
    {
        // Names and values come from the cluster or a snapshot: control characters are shown, never passed through.
        rows = rows.Select(r => r.Select(Names.Visible).ToArray()).ToList();
        var longest = new int[headers.Length];
        foreach (var row in rows)
        {
            for (var c = 0; c < longest.Length; c++)
            {
                longest[c] = Math.Max(longest[c], row[c].Length);
            }
        }

        WriteRows(output, width, headers, longest, rows, shrinkable, shorten);
    }

    /// <summary>
    /// The same table, each row written as soon as it comes: the layout needs only the longest cell of each column
    /// (<paramref name="longest"/>, known from a cheap first pass), so no row has to be kept. The cells must already be
    /// shown with <see cref="Names.Visible"/>; a row array may be reused for the next row once it was taken.
    /// </summary>
    public static void WriteRows(TextWriter output, int width, string[] headers, int[] longest, IEnumerable<string[]> rows, IReadOnlyList<(int Column, int Floor)> shrinkable, bool shorten = true)
    {
        var widths = new int[headers.Length - 1];
        for (var c = 0; c < widths.Length; c++)
        {
            widths[c] = Math.Max(headers[c].Length, longest[c]);
        }

        var last = int.MaxValue;
        if (shorten)
        {
            var available = width - 2 - (Gap * widths.Length);
            var wanted = Math.Max(MinLast, Math.Min(PreferredLast, longest[^1]));
            foreach (var (column, floor) in shrinkable)
            {
                var excess = widths.Sum() + wanted - available;
                if (excess > 0)
                {
                    widths[column] = Math.Max(Math.Min(floor, widths[column]), widths[column] - excess);
                }
            }

            last = Math.Max(MinLast, available - widths.Sum());
        }

        var line = new StringBuilder();
        void Row(string[] cells)
        {
            line.Clear().Append("  ");
            for (var c = 0; c < widths.Length; c++)
            {
                var cell = shorten ? TableWidth.Shorten(cells[c], widths[c]) : cells[c];
                line.Append(cell).Append(' ', Math.Max(0, widths[c] - cell.Length) + Gap);
            }

            line.Append(shorten ? TableWidth.Shorten(cells[^1], last) : cells[^1]);
            var end = line.Length;
            while (end > 0 && char.IsWhiteSpace(line[end - 1]))
            {
                end--;
            }

            line.Length = end;
            output.WriteLine(line);
        }

        Row(headers);
        output.WriteLine("  " + new string('─', Math.Min(widths.Sum() + (Gap * widths.Length) + headers[^1].Length, Math.Max(1, width - 2))));
        foreach (var row in rows)
        {
            Row(row);
        }
    }
}
