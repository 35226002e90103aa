using System.CommandLine;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Commands;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Hook;

namespace ProxClmc.Guard;

/// <summary>
/// The <c>proxclmc-guard</c> command line: the tree of verbs and global options, parsed and run. Each command gets
/// the <see cref="VerbRunner"/> that runs it with the effective settings and maps its failures to exit codes.
/// </summary>
public sealed class GuardCli
{
    private readonly CliEnvironment _environment;
    private readonly Func<RunSettings, ISourceFactory> _sourceFactory;
    private readonly Func<string, IHookscriptSetter> _hookscriptSetter;
    private readonly VerbRunner _verbs;

    public GuardCli(CliEnvironment environment, Func<RunSettings, ISourceFactory>? sourceFactory = null, Func<string, IHookscriptSetter>? hookscriptSetter = null)
    {
        _environment = environment;
        _hookscriptSetter = hookscriptSetter ?? CompositionRoot.HookscriptSetter;
        _sourceFactory = sourceFactory ?? (_ => CompositionRoot.SourceFactory(environment));
        _verbs = new VerbRunner(environment, _sourceFactory);
        Root = BuildRoot();
    }

    internal GlobalOptions Global => _verbs.Global;

    public RootCommand Root { get; }

    public static Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default) =>
        new GuardCli(environment).InvokeAsync(args, cancellationToken);

    public async Task<int> InvokeAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var parse = Root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var message in CommandLineErrors.Describe(parse))
            {
                await _environment.Error.WriteLineAsync($"proxclmc-guard: {message}").ConfigureAwait(false);
            }

            var verb = parse.CommandResult.Command == Root ? "" : " " + parse.CommandResult.Command.Name;
            await _environment.Error.WriteLineAsync($"Try 'proxclmc-guard{verb} --help'.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        if (parse.Action is System.CommandLine.Help.HelpAction && IsHookAttach(parse.CommandResult))
        {
            // System.CommandLine puts a parent's arguments into a subcommand's usage ("hook <vmid> <phase> attach"),
            // but <vmid> and <phase> belong to the hookscript entry point: attach takes neither.
            var help = new StringWriter { NewLine = "\n" };
            var exit = await parse.InvokeAsync(new InvocationConfiguration { Output = help, Error = _environment.Error, EnableDefaultExceptionHandler = false }, cancellationToken).ConfigureAwait(false);
            await _environment.Out.WriteAsync(WithoutParentArguments(help.ToString())).ConfigureAwait(false);
            return exit;
        }

        var config = new InvocationConfiguration { Output = _environment.Out, Error = _environment.Error, EnableDefaultExceptionHandler = false };
        return await parse.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsHookAttach(System.CommandLine.Parsing.CommandResult result) =>
        result.Command.Name == "attach" && result.Parent is System.CommandLine.Parsing.CommandResult { Command.Name: "hook" };

    /// <summary><c>hook attach --help</c> as attach is typed: no "hook &lt;vmid&gt; &lt;phase&gt;" usage, no Arguments section.</summary>
    internal static string WithoutParentArguments(string help)
    {
        var lines = help.Replace("hook <vmid> <phase> attach", "hook attach", StringComparison.Ordinal).Split('\n').ToList();
        var start = lines.FindIndex(l => l == "Arguments:");
        if (start >= 0)
        {
            var end = lines.FindIndex(start, l => l.Length == 0);
            lines.RemoveRange(start, (end < 0 ? lines.Count : end + 1) - start);
        }

        return string.Join('\n', lines);
    }

    private RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "ProxClmc.Guard: makes Proxmox VE live migration safe with respect to CPU compatibility.\n" +
            "Computes the CPU type every node can run, flags VMs whose CPU type some node cannot run (or that use host/max),\n" +
            "rewrites them safely on request, and refuses migrations a target node cannot run.\n\n" +
            ExitStatus.HelpLine);
        _verbs.Global.AddTo(root);
        root.Subcommands.Add(BaselineCommand.Create(_verbs));
        root.Subcommands.Add(ScanCommand.Create(_verbs));
        root.Subcommands.Add(CheckCommand.Create(_verbs));
        root.Subcommands.Add(HookCommand.Create(_verbs, (ctx, localNode, owned) => CompositionRoot.HookDecision(ctx.Settings, ctx.Environment, localNode, owned), _hookscriptSetter));
        root.Subcommands.Add(DaemonCommand.Create(_verbs, _sourceFactory));
        root.Subcommands.Add(FixCommand.Create(_verbs));
        root.Subcommands.Add(SnapshotCommand.Create(_verbs));
        root.Subcommands.Add(FactsCommand.Create(_verbs));
        root.Subcommands.Add(HistoryCommand.Create(_verbs));
        return root;
    }
}
