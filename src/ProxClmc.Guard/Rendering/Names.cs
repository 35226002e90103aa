using ProxClmc.Guard.Core.Cpu;

namespace ProxClmc.Guard.Rendering;

public static class Names
{
    /// <summary>"1 guest", "2 guests": a count with its noun in the right number.</summary>
    public static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count.ToString(System.Globalization.CultureInfo.InvariantCulture)} {noun}s";

    public static string Vendor(string vendorId) => vendorId switch
    {
        "GenuineIntel" => "Intel",
        "AuthenticAMD" => "AMD",
        "HygonGenuine" => "Hygon",
        "CentaurHauls" => "Centaur",
        "" => "-",
        _ => vendorId,
    };

    public static string Source(FactsSource source) => source switch
    {
        FactsSource.Local => "local",
        FactsSource.Ssh => "ssh",
        FactsSource.Api => "api",
        FactsSource.Snapshot => "snapshot",
        FactsSource.Cache => "cache",
        FactsSource.Assumed => "assumed",
        FactsSource.Published => "published",
        _ => "?",
    };

    /// <summary>
    /// Text from a snapshot or the API as a terminal may show it: control characters (escape sequences, carriage
    /// returns, line breaks), and the Unicode line separators and bidirectional overrides that reorder what is shown,
    /// become visible <c>\xNN</c> / <c>\uNNNN</c> escapes, so a VM named by someone else cannot drive the terminal of
    /// the administrator reading the table. A tab stays.
    /// </summary>
    public static string Visible(string text) => Core.Parsing.VisibleText.Of(text);

    /// <summary>Like <see cref="Visible"/>, but keeps line breaks: for whole blocks of output.</summary>
    public static string VisibleKeepingLines(string text) =>
        text.Any(IsHidden) ? string.Join('\n', text.Split('\n').Select(Visible)) : text;

    private static bool IsHidden(char c) => Core.Parsing.VisibleText.IsHidden(c);

    /// <summary>Collapses the runs of spaces some CPUs put in their model name ("CPU         870").</summary>
    public static string ModelName(string modelName) => string.Join(' ', modelName.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>
    /// The model name as a table cell shows it: without the trademark marks, the words "CPU" and "Processor" and the
    /// base clock ("Intel(R) Xeon(R) CPU E5-2620 0 @ 2.00GHz" is "Intel Xeon E5-2620 0"), so the part that tells
    /// two CPUs apart fits the column. -v and JSON show the name as the node reports it.
    /// </summary>
    public static string ShortModelName(string modelName)
    {
        var words = new List<string>();
        foreach (var word in modelName.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (word == "@")
            {
                break;
            }

            var bare = word.Replace("(R)", "", StringComparison.OrdinalIgnoreCase).Replace("(TM)", "", StringComparison.OrdinalIgnoreCase);
            if (bare.Length > 0 && bare is not ("CPU" or "Processor"))
            {
                words.Add(bare);
            }
        }

        return words.Count == 0 ? ModelName(modelName) : string.Join(' ', words);
    }
}
