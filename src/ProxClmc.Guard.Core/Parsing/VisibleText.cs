namespace ProxClmc.Guard.Core.Parsing;

/// <summary>
/// Text from a snapshot or the API as a terminal may show it: control characters (escape sequences, carriage
/// returns, line breaks), and the Unicode line separators and bidirectional overrides that reorder what is shown,
/// become visible <c>\xNN</c> / <c>\uNNNN</c> escapes, so a VM named by someone else cannot drive the terminal of
/// the administrator reading the table. A tab stays.
/// </summary>
public static class VisibleText
{
    public static string Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(IsHidden))
        {
            return text;
        }

        var result = new System.Text.StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (!IsHidden(c))
            {
                result.Append(c);
            }
            else if (c < 0x100)
            {
                result.Append("\\x").Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                result.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return result.ToString();
    }

    /// <summary>True for a character <see cref="Of"/> escapes.</summary>
    public static bool IsHidden(char c) =>
        (char.IsControl(c) && c != '\t') || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
