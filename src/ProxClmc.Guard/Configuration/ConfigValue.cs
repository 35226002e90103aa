using System.Globalization;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Core.Sources;
using Tomlyn.Syntax;

namespace ProxClmc.Guard.Configuration;

/// <summary>
/// One value of the configuration file as a <see cref="ConfigKey"/> reads it: the checks every key shares, each
/// failing with a <see cref="GuardConfigurationException"/> that points at the value (or the list item) to fix.
/// </summary>
internal sealed class ConfigValue(string path, ConfigKey key, ValueSyntax value, Func<string, bool>? isKnownModel)
{
    private string Section => key.Section;

    private string Name => key.Name;

    public ValueSyntax Syntax => value;

    public GuardConfigurationException Bad(string message) => Bad(value, message);

    public GuardConfigurationException Bad(SyntaxNodeBase at, string message) => GuardConfigLoader.Error(path, at.Span.Start, message);

    private GuardConfigurationException WrongType() =>
        Bad($"[{Section}] {Name} must be {key.Type}, got {GuardConfigLoader.TypeName(value)}");

    public string String() =>
        value is StringValueSyntax { Value: { } s } ? s : throw WrongType();

    public string NonEmptyString()
    {
        var s = String();
        return s.Length == 0
            ? throw Bad($"[{Section}] {Name} must not be empty (comment the line out to use the default)")
            : s;
    }

    /// <summary>A non-empty string that <paramref name="pattern"/> matches; else "[s] k {mustBe}, got '...'".</summary>
    public string Matching(Regex pattern, string mustBe)
    {
        var s = NonEmptyString();
        return pattern.IsMatch(s) ? s : throw Bad($"[{Section}] {Name} {mustBe}, got {GuardConfigLoader.Quote(s)}");
    }

    public string AbsolutePath()
    {
        var s = NonEmptyString();
        RequireAbsolute(value, s);
        return s;
    }

    /// <summary>An empty string turns the output off.</summary>
    public string? OptionalAbsolutePath()
    {
        var s = String();
        if (s.Length == 0)
        {
            return null;
        }

        RequireAbsolute(value, s);
        return s;
    }

    // The tool runs from systemd, cron and a hookscript whose working directory is not the administrator's:
    // a relative path would silently point somewhere else, so only absolute paths are accepted.
    public void RequireAbsolute(SyntaxNodeBase at, string s)
    {
        if (!s.StartsWith('/'))
        {
            throw Bad(at, $"[{Section}] {Name} must be an absolute path, got {GuardConfigLoader.Quote(s)}");
        }

        if (s.Contains('\0'))
        {
            throw Bad(at, $"[{Section}] {Name} must not contain a NUL character");
        }
    }

    public int Integer(int min, int max)
    {
        if (value is not IntegerValueSyntax integer)
        {
            throw WrongType();
        }

        var n = integer.Value;
        if (n < min || n > max)
        {
            throw Bad($"[{Section}] {Name} must be between {min} and {max}, got {n.ToString(CultureInfo.InvariantCulture)}");
        }

        return (int)n;
    }

    public bool Boolean() =>
        value is BooleanValueSyntax b ? b.Value : throw WrongType();

    public string OneOf(IReadOnlyList<string> allowed)
    {
        var s = String();
        if (allowed.Contains(s, StringComparer.Ordinal))
        {
            return s;
        }

        var closest = GuardConfigLoader.ClosestName(s, allowed);
        var hint = closest is not null ? $" (did you mean \"{closest}\"?)" : "";
        throw Bad($"[{Section}] {Name} must be one of " + string.Join(", ", allowed.Select(a => $"\"{a}\"")) + $", got {GuardConfigLoader.Quote(s)}{hint}");
    }

    public string ModelOrKeyword(IReadOnlyList<string> keywords)
    {
        var s = String();
        var keyword = keywords.FirstOrDefault(k => string.Equals(k, s, StringComparison.OrdinalIgnoreCase));
        if (keyword is not null)
        {
            return keyword;
        }

        var choices = string.Join(", ", keywords.Select(k => $"\"{k}\""));
        if (s.Length == 0)
        {
            throw Bad($"[{Section}] {Name} must be {choices} or a CPU model name, got \"\"");
        }

        if (s is "host" or "max")
        {
            throw Bad($"[{Section}] {Name} cannot be \"{s}\": it passes the node's own CPU through and is not portable between nodes");
        }

        if (!ConfigKeys.ModelNameRegex().IsMatch(s))
        {
            throw Bad($"[{Section}] {Name} must be {choices} or a CPU model name such as \"x86-64-v3\", got {GuardConfigLoader.Quote(s)}");
        }

        if (isKnownModel is not null && !isKnownModel(s))
        {
            throw Bad($"[{Section}] {Name} {GuardConfigLoader.Quote(s)} is not a CPU model Proxmox knows");
        }

        return s;
    }

    /// <summary>
    /// An array of non-empty strings, each passed to <paramref name="check"/> with its own position; with
    /// <paramref name="allowSingle"/> a lone string is a list of one. <paramref name="atLeastOne"/> names what an
    /// empty list lacks (null: an empty list is fine).
    /// </summary>
    public ConfigList<string> StringList(bool allowSingle, Action<ValueSyntax, string> check, string? atLeastOne = null)
    {
        if (allowSingle && value is StringValueSyntax)
        {
            var single = NonEmptyString();
            check(value, single);
            return [single];
        }

        var items = new List<string>();
        foreach (var item in Items())
        {
            if (item is not StringValueSyntax { Value: { } s })
            {
                throw WrongItem(item);
            }

            if (s.Length == 0)
            {
                throw Bad(item, $"[{Section}] {Name} must not contain an empty string");
            }

            check(item, s);
            items.Add(s);
        }

        if (atLeastOne is not null && items.Count == 0)
        {
            throw Bad($"[{Section}] {Name} must name at least one {atLeastOne} (comment the line out to use the default)");
        }

        return ConfigList.From(items);
    }

    /// <summary>An array of integers from <paramref name="min"/> to <paramref name="max"/>; else "[s] k: n is not {what}".</summary>
    public ConfigList<int> IntegerList(int min, int max, string what)
    {
        var numbers = new List<int>();
        foreach (var item in Items())
        {
            if (item is not IntegerValueSyntax integer)
            {
                throw WrongItem(item);
            }

            if (integer.Value < min || integer.Value > max)
            {
                throw Bad(item, $"[{Section}] {Name}: {integer.Value.ToString(CultureInfo.InvariantCulture)} is not {what}");
            }

            numbers.Add((int)integer.Value);
        }

        return ConfigList.From(numbers);
    }

    private IEnumerable<ValueSyntax> Items()
    {
        if (value is not ArraySyntax array)
        {
            throw WrongType();
        }

        foreach (var item in array.Items)
        {
            if (item.Value is { } itemValue)
            {
                yield return itemValue;
            }
        }
    }

    private GuardConfigurationException WrongItem(ValueSyntax item) =>
        Bad(item, $"[{Section}] {Name} must be {key.Type}, got an array containing {GuardConfigLoader.TypeName(item)}");
}
