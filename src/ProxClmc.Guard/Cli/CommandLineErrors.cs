using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace ProxClmc.Guard.Cli;

/// <summary>
/// Our own sentences for command-line mistakes: an unknown verb or option gets a did-you-mean, a value of the wrong
/// kind says what was expected in words (never a .NET type name).
/// </summary>
public static partial class CommandLineErrors
{
    public static IReadOnlyList<string> Describe(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var messages = new List<string>();

        // Only the first stray token: after an unknown option, its value is stray too and says nothing new.
        if (parse.UnmatchedTokens.FirstOrDefault() is { } token)
        {
            messages.Add(Unmatched(command, token));
        }

        foreach (var error in parse.Errors)
        {
            var message = error.Message;
            if (message.StartsWith("Unrecognized command or argument", StringComparison.Ordinal))
            {
                continue;
            }

            if (message.StartsWith("Required command was not provided", StringComparison.Ordinal))
            {
                if (parse.UnmatchedTokens.Count > 0)
                {
                    continue;
                }

                messages.Add("no verb given; one of: " + string.Join(", ", Verbs(command)));
                continue;
            }

            var cannotParse = CannotParse().Match(message);
            if (cannotParse.Success)
            {
                messages.Add($"{cannotParse.Groups["option"].Value}: '{cannotParse.Groups["value"].Value}' is not {Expected(cannotParse.Groups["type"].Value)}");
                continue;
            }

            // A verb's own argument (check <vmid>, hook <vmid> <phase>): a misspelt sub-verb lands here too.
            var badArgument = CannotParseArgument().Match(message);
            if (badArgument.Success)
            {
                var value = badArgument.Groups["value"].Value;
                messages.Add($"{badArgument.Groups["command"].Value}: '{value}' is not {Expected(badArgument.Groups["type"].Value)}" + Suggest(value, Verbs(command)));
                continue;
            }

            if (message.StartsWith("Required argument missing", StringComparison.Ordinal))
            {
                messages.Add($"{command.Name} needs " + string.Join(" ", command.Arguments.Select(a => $"<{a.Name}>")) + (Verbs(command) is { Count: > 0 } verbs ? $" (or: {string.Join(", ", verbs.Select(v => $"{command.Name} {v}"))})" : ""));
                continue;
            }

            messages.Add(TypeName().Replace(message, "a value"));
        }

        return messages.Count > 0 ? messages : ["the command line cannot be read"];
    }

    private static string Unmatched(Command command, string token)
    {
        if (token.StartsWith('-'))
        {
            var names = command.Options.Concat(Ancestors(command).SelectMany(c => c.Options.Where(o => o.Recursive)))
                .SelectMany(o => o.Aliases.Prepend(o.Name))
                .Where(n => n.StartsWith("--", StringComparison.Ordinal))
                .Distinct()
                .ToList();
            var name = token.Split('=')[0];
            var where = command.Parents.Any() ? $" for {command.Name}" : "";
            return $"unknown option '{name}'{where}" + Suggest(name, names);
        }

        if (command.Subcommands.Count > 0)
        {
            return $"unknown verb '{token}'" + Suggest(token, Verbs(command));
        }

        return $"unexpected argument '{token}'" + (command.Parents.Any() ? $" for {command.Name}" : "");
    }

    private static IEnumerable<Command> Ancestors(Command command)
    {
        for (var parent = command.Parents.OfType<Command>().FirstOrDefault(); parent is not null; parent = parent.Parents.OfType<Command>().FirstOrDefault())
        {
            yield return parent;
        }
    }

    private static List<string> Verbs(Command command) => command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();

    /// <summary>"; did you mean X?" for the closest name within two edits (or a prefix), else nothing.</summary>
    public static string Suggest(string typed, IEnumerable<string> candidates)
    {
        var best = candidates
            .Select(c => (Name: c, Distance: c.StartsWith(typed, StringComparison.Ordinal) && typed.Length >= 3 ? 0 : Distance(typed, c)))
            .Where(c => c.Distance <= Math.Max(2, typed.Length / 4))
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        return best.Name is null ? "" : $"; did you mean {best.Name}?";
    }

    /// <summary>Damerau-Levenshtein distance (optimal string alignment): a swap of two letters is one edit.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    private static string Expected(string type) => type switch
    {
        // int, long, int[], int? (System.Nullable`1[[System.Int32, ...]])
        _ when type.Contains("System.Int", StringComparison.Ordinal) => "a whole number",
        _ when type.Contains("System.Boolean", StringComparison.Ordinal) => "true or false",
        _ => "a valid value",
    };

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'")]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for command '(?<command>[^']*)' as expected type '(?<type>[^']*)'")]
    private static partial Regex CannotParseArgument();

    [GeneratedRegex(@"'?System\.[A-Za-z0-9_.`\[\]]+'?")]
    private static partial Regex TypeName();
}
