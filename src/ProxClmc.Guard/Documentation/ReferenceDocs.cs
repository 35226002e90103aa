using System.CommandLine;
using System.Text;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Configuration;
using ProxClmc.Guard.Core.Compliance;

namespace ProxClmc.Guard.Documentation;

/// <summary>
/// Writes the parts of the documentation that repeat what the code defines: the documented proxclmc-guard.toml
/// (whole, from <see cref="ConfigKeys"/>), and in the man page and the README the sections between
/// "BEGIN GENERATED name" and "END GENERATED name" markers: the synopsis and global options (the command tree
/// <c>--help</c> prints), verdicts and notes (the Core's codes, described in <see cref="GuestTerms"/>), exit codes
/// (<see cref="ExitStatus"/>) and configuration keys. tools/gen-docs/gen-docs.cs rewrites the files; a test fails
/// when a checked-in file differs from what this produces.
/// </summary>
public static partial class ReferenceDocs
{
    public const string TomlPath = "proxclmc-guard.toml";

    public const string ManPath = "docs/proxclmc-guard.1";

    public const string ReadmePath = "README.md";

    /// <summary>The files this writes, relative to the repository root.</summary>
    public static IReadOnlyList<string> Paths { get; } = [TomlPath, ManPath, ReadmePath];

    /// <summary>What the file at <paramref name="relativePath"/> must contain, given its current text.</summary>
    public static string Regenerate(string relativePath, string current) => relativePath switch
    {
        TomlPath => SampleConfig(),
        ManPath => ManSections().Aggregate(current, (text, section) =>
            Replace(text, section.Name, section.Roff, $".\\\" BEGIN GENERATED {section.Name}", $".\\\" END GENERATED {section.Name}")),
        ReadmePath => Replace(current, "config-keys", ReadmeKeyTable(), "<!-- BEGIN GENERATED config-keys", "<!-- END GENERATED config-keys -->"),
        _ => throw new ArgumentException($"{relativePath} is not a generated file", nameof(relativePath)),
    };

    /// <summary>The documented proxclmc-guard.toml: every key, commented out, with its default (or an example).</summary>
    public static string SampleConfig()
    {
        var sb = new StringBuilder(TomlHeader);
        foreach (var section in ConfigKeys.Sections)
        {
            // [remote.<name>] is a pattern, not a section: shown commented out, with an example name.
            sb.Append('\n').Append(section == ConfigKeys.Remote ? "# [remote.office]\n" : $"[{section}]\n");
            var first = true;
            foreach (var key in ConfigKeys.All.Where(k => k.Section == section))
            {
                if (key.Comment.Length > 0)
                {
                    if (!first)
                    {
                        sb.Append('\n');
                    }

                    foreach (var line in key.Comment.TrimEnd('\n').Split('\n'))
                    {
                        sb.Append(line.Length == 0 ? "#" : "# " + line).Append('\n');
                    }
                }

                var value = key.DefaultToml ?? key.Example
                    ?? throw new InvalidOperationException($"[{key.Section}] {key.Name} has neither a default nor an example");
                sb.Append("# ").Append(key.Name).Append(" = ").Append(value).Append('\n');
                first = false;
            }
        }

        return sb.ToString();
    }

    private const string TomlHeader = """
        # proxclmc-guard.toml: configuration of proxclmc-guard
        #
        # Installed as /etc/proxclmc-guard/proxclmc-guard.toml (use --config to read another file).
        # Every setting below is shown with its default. A line that starts with '#' is off, so the default applies;
        # remove the '#' and change the value to override it. Without this file at all the tool runs with these defaults,
        # which suit a standard Proxmox VE node.
        #
        # Mistakes are reported with file, line and column, and exit code 78 (a misspelt key is an error, not ignored).
        # Paths must be absolute: the tool also runs from systemd and from the hookscript, where there is no useful
        # working directory.
        #
        # Secrets (API token secret, password) are never written here: they live in their own files, named by the
        # *_file keys, which must be owned by root and have mode 0600 or 0400.

        """;

    /// <summary>The man page's generated sections, by marker name.</summary>
    public static IReadOnlyList<(string Name, string Roff)> ManSections()
    {
        var root = new GuardCli(new CliEnvironment { Out = TextWriter.Null, Error = TextWriter.Null }).Root;
        return
        [
            ("synopsis", Synopsis(root)),
            ("verdicts", Lines(Enum.GetValues<Verdict>().Select(v => $".TP\n.B {Roff(v.Name())}\n{GuestTerms.Describe(v).TrimEnd('\n')}"))),
            ("notes", Lines(GuestTerms.Notes.Select(n => $".TP\n.B {Roff(n.Code)}\n{n.Roff.TrimEnd('\n')}"))),
            ("global-options", Lines(root.Options.Where(o => !o.Hidden).OrderBy(o => o is System.CommandLine.Help.HelpOption or VersionOption).Select(o => $".TP\n{OptionNames(o)}\n{Roff(Sentence(o.Description ?? ""))}"))),
            ("exit-status", Lines(ExitStatus.All.Select(e => $".TP\n.B {e.Code}\n{Roff(e.Long)}"))),
            ("config-keys", ManKeys()),
        ];
    }

    private static string Synopsis(RootCommand root)
    {
        var forms = new List<string>();
        foreach (var verb in root.Subcommands.Where(c => !c.Hidden))
        {
            forms.Add(Form(verb.Name, verb));
            forms.AddRange(verb.Subcommands.Where(c => !c.Hidden).Select(sub => Form($"{verb.Name} {sub.Name}", sub)));
        }

        forms.Add(".B proxclmc-guard\n.BR \\-\\-version \" | \" \\-\\-help");
        return string.Join("\n.br\n", forms);

        static string Form(string name, Command command)
        {
            var sb = new StringBuilder(".B proxclmc-guard\n.RI [ global-options ]\n.B ").Append(Roff(name));
            foreach (var argument in command.Arguments.Where(a => !a.Hidden))
            {
                var argName = Roff(argument.HelpName ?? argument.Name);
                sb.Append(argument.Arity.MinimumNumberOfValues == 0 ? $"\n.RI [ {argName} ]" : $"\n.I {argName}");
            }

            foreach (var option in command.Options.Where(o => !o.Hidden && o is not System.CommandLine.Help.HelpOption))
            {
                var (open, close) = option.Required ? ("", "") : ("[ ", " ]");
                var repeat = option.Arity.MaximumNumberOfValues > 1 ? "..." : "";
                if (option.ValueType == typeof(bool))
                {
                    sb.Append($"\n.RB {open}{Roff(option.Name)}{close}");
                    continue;
                }

                var value = Roff(ValueName(option));
                sb.Append(option.Required ? $"\n.B {Roff(option.Name)}" : $"\n.RB [ {Roff(option.Name)}")
                  .Append(option.Arity.MinimumNumberOfValues == 0 ? $"\n.RI [ {value} ]{close.Trim()}{repeat}" : $"\n.IR {value}{close}{repeat}");
            }

            return sb.ToString();
        }
    }

    private static string OptionNames(Option option)
    {
        var names = option.Aliases.Where(a => a.StartsWith('-')).OrderBy(a => a.Length).Append(option.Name).Distinct();
        var text = string.Join(", ", names.Select(n => $"\\fB{Roff(n)}\\fR"));
        return option.ValueType == typeof(bool) || option.Arity.MaximumNumberOfValues == 0 ? text : $"{text} \\fI{Roff(ValueName(option))}\\fR";
    }

    private static string ValueName(Option option) => option.HelpName ?? option.Name.TrimStart('-');

    private static string ManKeys()
    {
        // Left-adjusted: a default such as a list of paths is one long word that a justified line cannot fit.
        var parts = new List<string> { ".ad l" };
        foreach (var section in ConfigKeys.Sections)
        {
            parts.Add($".SS [{ConfigKeys.Heading(section)}]");
            foreach (var key in ConfigKeys.All.Where(k => k.Section == section))
            {
                var fallback = key.DefaultToml ?? key.Unset;
                var defaultText = fallback is null ? "Not set by default." : $"Default: {fallback}.";
                parts.Add($".TP\n.B {Roff(key.Name)}\n{Roff(key.Help)}\n{Roff($"Value: {key.Rule}. {defaultText}")}");
            }
        }

        parts.Add(".ad");
        return Lines(parts);
    }

    private static string ReadmeKeyTable()
    {
        var sb = new StringBuilder("| section | keys |\n|---|---|\n");
        foreach (var section in ConfigKeys.Sections)
        {
            sb.Append($"| `[{ConfigKeys.Heading(section)}]` | ")
              .AppendJoin(", ", ConfigKeys.All.Where(k => k.Section == section).Select(k => $"`{k.Name}`"))
              .Append(" |\n");
        }

        return sb.ToString().TrimEnd('\n');
    }

    private static string Lines(IEnumerable<string> parts) => string.Join("\n", parts);

    /// <summary>
    /// Plain text as one roff text line: backslashes and hyphens escaped, `code` in bold, a leading '.' or '\''
    /// neutralised.
    /// </summary>
    private static string Roff(string text)
    {
        var escaped = text.Replace("\\", "\\e", StringComparison.Ordinal).Replace("-", "\\-", StringComparison.Ordinal);
        escaped = BackquotedRegex().Replace(escaped, "\\fB$1\\fR");
        return escaped.StartsWith('.') || escaped.StartsWith('\'') ? "\\&" + escaped : escaped;
    }

    /// <summary>A sentence as the man page prints it: ending in a full stop.</summary>
    private static string Sentence(string text) => text.Length == 0 || text.EndsWith('.') ? text : text + ".";

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex BackquotedRegex();

    /// <summary>Replaces the lines between the begin and end marker lines (kept) with <paramref name="content"/>.</summary>
    private static string Replace(string text, string name, string content, string begin, string end)
    {
        var beginAt = text.IndexOf(begin, StringComparison.Ordinal);
        var contentAt = beginAt < 0 ? -1 : text.IndexOf('\n', beginAt) + 1;
        var endAt = contentAt <= 0 ? -1 : text.IndexOf("\n" + end, contentAt - 1, StringComparison.Ordinal);
        if (beginAt < 0 || contentAt <= 0 || endAt < 0)
        {
            throw new InvalidOperationException($"the generated section '{name}' has no '{begin}' and '{end}' lines");
        }

        return text[..contentAt] + content + text[endAt..];
    }
}
