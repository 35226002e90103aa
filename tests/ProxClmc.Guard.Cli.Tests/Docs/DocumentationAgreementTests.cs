using System.Reflection;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Configuration;
using ProxClmc.Guard.Core.Compliance;
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

    public static TheoryData<string> Notes() => new(typeof(GuestNote)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .Where(code => code != "ignored")); // the verdict of that name explains it

    public static TheoryData<string, string> Keys()
    {
        var data = new TheoryData<string, string>();
        foreach (var (section, keys) in GuardConfigLoader.Schema)
        {
            foreach (var key in keys)
            {
                data.Add(section, key);
            }
        }

        return data;
    }

    public static TheoryData<int> ExitCodes() => new(0, 1, 2, 3, 64, 78);

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
        Assert.Matches(new Regex($@"(?m)^(# )?{Regex.Escape(key)} = "), Body(Toml, $"\n[{section}]\n", "\n["));
        Assert.Matches(new Regex($@"(?m)^\.BR? (.*[ ""])?{Regex.Escape(key)}( |""|$)"), Body(Man, $".SS [{section}]\n", ".S"));
        Assert.Matches(new Regex($@"(?m)^\| `\[{section}\]` \|.*`{Regex.Escape(key)}`"), Body(Readme, "## Configuration", "\n## "));
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
