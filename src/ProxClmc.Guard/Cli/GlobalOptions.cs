using System.CommandLine;

namespace ProxClmc.Guard.Cli;

/// <summary>The options every verb accepts (DESIGN.md "Command line").</summary>
internal sealed class GlobalOptions
{
    public const string DefaultConfigPath = "/etc/proxclmc-guard/proxclmc-guard.toml";

    public Option<string?> Config { get; } = new("--config")
    {
        Description = $"Configuration file (default {DefaultConfigPath}; built-in defaults when that file does not exist)",
        Recursive = true,
        HelpName = "file",
    };

    public Option<string?> From { get; } = new("--from")
    {
        Description = "Read everything from an offline snapshot folder (see `snapshot`) or from /etc/pve itself",
        Recursive = true,
        HelpName = "dir",
    };

    public Option<string?> Format { get; } = new("--format")
    {
        Description = "Output format: table (default), json, prometheus, or html (scan: one self-contained page)",
        Recursive = true,
        HelpName = "table|json|prometheus|html",
    };

    public Option<string[]> AssumeNode { get; } = new("--assume-node")
    {
        Description = "What-if: add (or replace) a node with the CPU of this /proc/cpuinfo file, e.g. pve5=/tmp/new-node-cpuinfo",
        Recursive = true,
        HelpName = "name=file",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string[]> WithoutNode { get; } = new("--without-node")
    {
        Description = "What-if: leave this node out (planning its retirement)",
        Recursive = true,
        HelpName = "name",
    };

    public Option<bool> AllowPartial { get; } = new("--allow-partial")
    {
        Description = "Give an answer even when some nodes cannot be read (marked PARTIAL) instead of exiting 3",
        Recursive = true,
    };

    public Option<string?> LogTarget { get; } = new("--log-target")
    {
        Description = "Where log lines go: console (stderr) or journal (default: journal under systemd, else console)",
        Recursive = true,
        HelpName = "console|journal",
    };

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "More detail in logs, and stack traces for internal errors",
        Recursive = true,
    };

    public void AddTo(Command command)
    {
        foreach (var option in All)
        {
            command.Options.Add(option);
        }
    }

    private IEnumerable<Option> All => [Config, From, Format, AssumeNode, WithoutNode, AllowPartial, LogTarget, Verbose];
}
