using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

using ProxClmc.Guard.Configuration;

namespace ProxClmc.Guard.Cli;

/// <summary>
/// Our own sentences for command-line mistakes: an unknown verb or option gets a did-you-mean, a value of the wrong
/// kind says what was expected in words (never a .NET type name).
/// </summary>
internal static partial class CommandLineErrors
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
                messages.Add($"{cannotParse.Groups["option"].Value}: '{cannotParse.Groups["value"].Value}' {NotA(cannotParse.Groups["value"].Value, cannotParse.Groups["type"].Value)}");
                continue;
            }

            // --strategy placment: the values the option takes, and the closest of them.
            var notAmong = NotAmong().Match(message);
            if (notAmong.Success)
            {
                var allowed = Quoted().Matches(notAmong.Groups["allowed"].Value).Select(m => m.Groups[1].Value).ToList();
                var value = notAmong.Groups["value"].Value;
                var option = parse.CommandResult.Children.OfType<OptionResult>()
                    .FirstOrDefault(o => o.Tokens.Any(t => t.Value == value))?.Option.Name;
                messages.Add($"{(option is null ? "" : option + ": ")}'{value}' is not one of {string.Join(", ", allowed)}" + Suggest(value, allowed));
                continue;
            }

            // snapshot without --out: what the option wants, in our words.
            var required = RequiredOption().Match(message);
            if (required.Success)
            {
                var name = required.Groups["option"].Value;
                var helpName = command.Options.FirstOrDefault(o => o.Name == name)?.HelpName ?? "value";
                messages.Add($"{command.Name} needs {name} <{helpName}>");
                continue;
            }

            // A verb's own argument (check <vmid>, hook <vmid> <phase>): a misspelt sub-verb lands here too.
            var badArgument = CannotParseArgument().Match(message);
            if (badArgument.Success)
            {
                var value = badArgument.Groups["value"].Value;
                messages.Add($"{badArgument.Groups["command"].Value}: '{value}' {NotA(value, badArgument.Groups["type"].Value)}" + Suggest(value, Verbs(command)));
                continue;
            }

            if (message.StartsWith("Required argument missing", StringComparison.Ordinal))
            {
                messages.Add($"{command.Name} needs " + string.Join(" ", command.Arguments.Select(a => $"<{a.Name}>")) + (Verbs(command) is { Count: > 0 } verbs ? $" (or: {string.Join(", ", verbs.Select(v => $"{command.Name} {v}"))})" : ""));
                continue;
            }

            messages.Add(TypeName().Replace(message, "a value"));
        }

        // hook without <vmid> and <phase>: one missing argument each, one sentence for both.
        return messages.Count > 0 ? messages.Distinct(StringComparer.Ordinal).ToList() : ["the command line cannot be read"];
    }

    /// <summary>"is not a whole number", or for a number too large for the option "is out of range" (check 99999999999).</summary>
    private static string NotA(string value, string type)
    {
        var expected = Expected(type);
        var digits = value.StartsWith('-') ? value[1..] : value;
        return expected == "a whole number" && digits.Length > 0 && digits.All(char.IsAsciiDigit)
            ? "is out of range (too large for a VM id or count)"
            : $"is not {expected}";
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

    /// <summary>
    /// "; did you mean X?" for the closest name within two edits (or a prefix), else nothing. A prefix match also
    /// names the names one edit away (--form: --format or --from).
    /// </summary>
    public static string Suggest(string typed, IEnumerable<string> candidates)
    {
        var ranked = candidates
            .Distinct(StringComparer.Ordinal)
            .Select(c => (Name: c, Distance: c.StartsWith(typed, StringComparison.Ordinal) && typed.Length >= 3 ? 0 : Distance(typed, c)))
            .Where(c => c.Distance <= Math.Max(2, typed.Length / 4))
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
        if (ranked.Count == 0)
        {
            return "";
        }

        var best = ranked[0].Name;
        var names = ranked[0].Distance == 0
            ? ranked.Skip(1).Where(c => Distance(typed, c.Name) == 1).Select(c => c.Name).Prepend(best).Take(3).ToList()
            : [best];
        return $"; did you mean {string.Join(" or ", names)}?";
    }

    /// <summary>Damerau-Levenshtein distance (optimal string alignment): a swap of two letters is one edit.</summary>
    public static int Distance(string a, string b) => EditDistance.Between(a, b);

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

    [GeneratedRegex(@"^Argument '(?<value>.*?)' not recognized\. Must be one of:(?<allowed>.*)$", RegexOptions.Singleline)]
    private static partial Regex NotAmong();

    [GeneratedRegex(@"'([^']*)'")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"^Option '(?<option>--[A-Za-z0-9-]+)' is required")]
    private static partial Regex RequiredOption();

    [GeneratedRegex(@"'?System\.[A-Za-z0-9_.`\[\]]+'?")]
    private static partial Regex TypeName();
}
