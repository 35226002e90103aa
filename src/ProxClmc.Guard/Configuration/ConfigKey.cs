using System.Globalization;
using System.Text;
using ProxClmc.Guard.Application.Configuration;

namespace ProxClmc.Guard.Configuration;

/// <summary>
/// One key of proxclmc-guard.toml: where it lives, what it accepts, its default and what it is for. The loader
/// reads values with <see cref="Apply"/>; the documented proxclmc-guard.toml, the man page and the README are
/// generated from the same entry (see <see cref="ConfigKeys"/>).
/// </summary>
internal sealed record ConfigKey
{
    public required string Section { get; init; }

    public required string Name { get; init; }

    /// <summary>The TOML type, as error messages say it: "an integer", "a string or an array of strings".</summary>
    public required string Type { get; init; }

    /// <summary>What a valid value is, in words: "an integer from 1 to 65535".</summary>
    public required string Rule { get; init; }

    /// <summary>The default as a TOML value, read from <see cref="GuardConfig.Default"/>; null when unset by default.</summary>
    public required Func<GuardConfig, string?> Default { get; init; }

    /// <summary>For a key unset by default: the example value the documented file shows (commented out).</summary>
    public string? Example { get; init; }

    /// <summary>For a key unset by default: what applies then, in words ("this host's short host name").</summary>
    public string? Unset { get; init; }

    /// <summary>One paragraph for the man page.</summary>
    public required string Help { get; init; }

    /// <summary>The comment above the key in the documented proxclmc-guard.toml (lines, without '#').</summary>
    public required string Comment { get; init; }

    /// <summary>Checks the value and returns the configuration with it set.</summary>
    public required Func<ConfigValue, GuardConfig, GuardConfig> Apply { get; init; }

    public string? DefaultToml => Default(GuardConfig.Default);
}

/// <summary>A kind of value: its TOML type, its rule in words, how it is read and how a default is written.</summary>
internal sealed record ValueKind<T>(string Type, string Rule, Func<ConfigValue, T> Read, Func<T, string?> Toml)
{
    /// <summary>The same TOML type with another rule and reader (a string that must also match something).</summary>
    public ValueKind<T> Where(string rule, Func<ConfigValue, T> read) => this with { Rule = rule, Read = read };
}

/// <summary>TOML literals for the defaults the documentation shows.</summary>
internal static class TomlText
{
    public static string? String(string? s)
    {
        if (s is null)
        {
            return null;
        }

        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when char.IsControl(c) => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }

        return sb.Append('"').ToString();
    }

    public static string Integer(int n) => n.ToString(CultureInfo.InvariantCulture);

    public static string Boolean(bool b) => b ? "true" : "false";

    public static string StringArray(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(i => String(i))) + "]";

    public static string IntegerArray(IEnumerable<int> items) => "[" + string.Join(", ", items.Select(Integer)) + "]";
}
