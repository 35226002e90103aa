using System.Reflection;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Configuration;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Documentation;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Docs;

/// <summary>
/// The README, the documented proxclmc-guard.toml and the man page name the same verdicts, notes, config keys,
/// exit codes and verbs as the code does: a new one cannot be added without documenting it everywhere.
/// </summary>
public sealed partial class DocumentationAgreementTests
{
    private static readonly string Readme = File.ReadAllText(RepoPaths.Combine("README.md"));
    private static readonly string Toml = File.ReadAllText(RepoPaths.Combine("proxclmc-guard.toml"));

    /// <summary>The man page without roff's escapes, so "exceeds\-baseline" reads as it prints.</summary>
    private static readonly string Man = File.ReadAllText(RepoPaths.Combine("docs", "proxclmc-guard.1")).Replace("\\-", "-", StringComparison.Ordinal);

    public static TheoryData<string> Verdicts() => new(Enum.GetValues<Verdict>().Select(v => v.Name()));

    public static TheoryData<string> Notes() => new(NoteCodes());

    private static IEnumerable<string> NoteCodes() => typeof(GuestNote)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .Where(code => code != "ignored"); // the verdict of that name explains it

    public static TheoryData<string, string> Keys()
    {
        var data = new TheoryData<string, string>();
        foreach (var key in ConfigKeys.All)
        {
            data.Add(key.Section, key.Name);
        }

        return data;
    }

    public static TheoryData<int> ExitCodes() => new(ExitStatus.All.Select(e => e.Code));

    /// <summary>Every option of every verb (and of <c>hook attach</c>), as "verb --option".</summary>
    public static TheoryData<string, string> VerbOptions()
    {
        var data = new TheoryData<string, string>();
        foreach (var verb in new GuardCli(new CliEnvironment { Out = TextWriter.Null, Error = TextWriter.Null }).Root.Subcommands)
        {
            foreach (var command in verb.Subcommands.Prepend(verb))
            {
                foreach (var option in command.Options.Where(o => !o.Hidden))
                {
                    data.Add(command == verb ? verb.Name : $"{verb.Name} {command.Name}", option.Name);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Verdicts))]
    public void Every_verdict_is_in_the_readme_table_and_the_man_page(string verdict)
    {
        Assert.Contains($"| `{verdict}` |", Readme, StringComparison.Ordinal);
        Assert.Matches(new Regex($@"(?m)^\.B {Regex.Escape(verdict)}$"), Man);
    }

    [Theory]
    [MemberData(nameof(Notes))]
    public void Every_note_is_in_the_readme_and_the_man_page(string note)
    {
        Assert.Contains($"`{note}`", Readme, StringComparison.Ordinal);
        Assert.Matches(new Regex($@"(?m)^\.BR? {Regex.Escape(note)}( |,|$)"), Man);
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void Every_config_key_is_in_the_toml_the_man_page_and_the_readme(string section, string key)
    {
        // [remote.<name>] repeats per other cluster: the documented file shows it commented out, as [remote.office].
        var heading = section == "remote" ? "remote.<name>" : section;
        Assert.Matches(new Regex($@"(?m)^(# )?{Regex.Escape(key)} = "), Body(Toml, section == "remote" ? "\n# [remote.office]\n" : $"\n[{section}]\n", "\n["));
        Assert.Matches(new Regex($@"(?m)^\.BR? (.*[ ""])?{Regex.Escape(key)}( |""|$)"), Body(Man, $".SS [{heading}]\n", ".S"));
        Assert.Matches(new Regex($@"(?m)^\| `\[{Regex.Escape(heading)}\]` \|.*`{Regex.Escape(key)}`"), Body(Readme, "## Configuration", "\n## "));
    }

    [Fact]
    public void The_described_notes_are_exactly_the_notes_the_core_gives()
    {
        var core = NoteCodes().Order(StringComparer.Ordinal);
        var described = GuestTerms.Notes.Select(n => n.Code).Order(StringComparer.Ordinal);

        Assert.Equal(core, described);
    }

    [Fact]
    public void The_exit_status_table_has_every_exit_code_of_the_core()
    {
        var core = typeof(Core.Compliance.ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(int))
            .Select(f => (int)f.GetRawConstantValue()!)
            .Order();

        Assert.Equal(core, ExitStatus.All.Select(e => e.Code).Order());
        var help = GuardRun.Run("--help").Out;
        foreach (var entry in ExitStatus.All)
        {
            Assert.Contains($"{entry.Code} {entry.Short}", help, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(VerbOptions))]
    public void Every_option_of_every_verb_is_in_the_man_page_synopsis_and_explained_under_commands(string verb, string option)
    {
        var token = new Regex($@"(?<![\w-]){Regex.Escape(option)}(?![\w-])");
        var commands = Regex.Replace(Body(Man, ".SH COMMANDS", ".SH "), @"\\f[BIRP]", "");
        var synopsis = Body(Man, ".SH SYNOPSIS", ".SH ");
        var verbForm = Body(synopsis, $".B {verb}\n", ".br");

        Assert.Matches(token, verbForm);
        Assert.Matches(token, commands);
    }

    [Fact]
    public void The_man_page_names_every_default_known_hosts_file()
    {
        var ssh = Body(Man, ".SS [ssh]\n", ".S");

        Assert.Equal(3, new SshSettings().KnownHosts.Count);
        foreach (var file in new SshSettings().KnownHosts)
        {
            Assert.Contains(file, ssh, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(ExitCodes))]
    public void Every_exit_code_is_in_the_readme_table_the_man_page_and_the_help(int code)
    {
        Assert.Matches(new Regex($@"(?m)^\| {code} \| \S"), Body(Readme, "### Exit codes", "\n## "));
        Assert.Matches(new Regex($@"(?m)^\.B {code}$"), Body(Man, ".SH EXIT STATUS", ".SH "));
        Assert.Contains($"{code} ", GuardRun.Run("--help").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_verb_is_in_the_readme_table_and_the_man_page_synopsis()
    {
        var verbs = new GuardCli(new CliEnvironment { Out = TextWriter.Null, Error = TextWriter.Null }).Root.Subcommands.Select(c => c.Name).ToList();

        Assert.NotEmpty(verbs);
        foreach (var verb in verbs)
        {
            Assert.Matches(new Regex($@"(?m)^\| `{Regex.Escape(verb)}[ `]"), Readme);
            Assert.Matches(new Regex($@"(?m)^\.B {Regex.Escape(verb)}( |$)"), Body(Man, ".SH SYNOPSIS", ".SH "));
        }
    }

    private static string Body(string text, string start, string end)
    {
        var at = text.IndexOf(start, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{start.Trim()}' not found");
        var next = text.IndexOf(end, at + start.Length, StringComparison.Ordinal);
        return text[at..(next < 0 ? text.Length : next)];
    }
}
