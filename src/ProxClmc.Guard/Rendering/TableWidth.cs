namespace ProxClmc.Guard.Rendering;

/// <summary>
/// One width policy for every table: the terminal's width, or 120 columns when the output is not a terminal (a
/// pipe, a file, the journal). Cells are shortened at a token boundary with "…", never split inside a token;
/// JSON and -v keep the whole text.
/// </summary>
internal static class TableWidth
{
    public const int NotATerminal = 120;

    public const char Ellipsis = '…';

    /// <summary>The width for this process's standard output.</summary>
    public static int ForConsole()
    {
        // Asked of the terminal directly: Console.WindowWidth would switch it into keypad mode (see StandardStreams).
        return Console.IsOutputRedirected ? NotATerminal : Infrastructure.IO.StandardStreams.TerminalColumns() ?? NotATerminal;
    }

    /// <summary>
    /// One row of a table written as a line (check, check --evacuate, HA maintenance, facts, hook attach): shortened
    /// at a token boundary to the width, or whole with -v (<paramref name="shorten"/> false).
    /// </summary>
    public static string Fit(string line, int width, bool shorten) => shorten ? Shorten(line, Math.Max(1, width)) : line;

    /// <summary>
    /// <paramref name="text"/> in at most <paramref name="max"/> characters: whole when it fits, otherwise cut after
    /// the last whole token (at a space, a comma or a semicolon) and marked with "…", so a shortened value never reads
    /// as a different one (no "+avx5" from "+avx512f").
    /// </summary>
    public static string Shorten(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        if (max <= 1)
        {
            return Ellipsis.ToString();
        }

        var room = max - 1;
        var cut = -1;
        for (var i = room; i > 0; i--)
        {
            if (text[i] is ' ' or ',' or ';')
            {
                cut = i;
                break;
            }
        }

        var kept = cut > 0 ? text[..cut] : "";
        return kept.TrimEnd(' ', ',', ';', ':') + Ellipsis;
    }
}
