using System.CommandLine;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Commands;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Parsing;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Pipeline;
using Serilog;

namespace ProxClmc.Guard.Cli;

/// <summary>
/// The <c>proxclmc-guard</c> command line: verbs, global options, and the translation of every failure into
/// one line on stderr and the documented exit code (0, 1, 2, 3, 64, 78).
/// </summary>
public sealed class GuardCli
{
    private readonly CliEnvironment _environment;
    private readonly Func<RunSettings, ISourceFactory> _sourceFactory;
    private readonly Func<string, Hook.IHookscriptSetter> _hookscriptSetter;

    public GuardCli(CliEnvironment environment, Func<RunSettings, ISourceFactory>? sourceFactory = null, Func<string, Hook.IHookscriptSetter>? hookscriptSetter = null)
    {
        _environment = environment;
        _hookscriptSetter = hookscriptSetter ?? CompositionRoot.HookscriptSetter;
        _sourceFactory = sourceFactory ?? (_ => CompositionRoot.SourceFactory(environment));
        Root = BuildRoot();
    }

    public GlobalOptions Global { get; } = new();

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

    /// <summary>Runs a verb with the effective settings, mapping exceptions to exit codes and one line on stderr.</summary>
    public Task<int> RunAsync(ParseResult parse, Func<CommandContext, Task<int>> verb) => RunAsync(parse, verb, hook: false);

    /// <summary>
    /// As <see cref="RunAsync(ParseResult, Func{CommandContext, Task{int}})"/>; for the hook verb (<paramref name="hook"/>)
    /// logging is best effort (never blocks) and every failure is allowed or refused by <c>hook.fail_closed</c>
    /// (<see cref="Hook.HookFailurePolicy"/>).
    /// </summary>
    public async Task<int> RunAsync(ParseResult parse, Func<CommandContext, Task<int>> verb, bool hook)
    {
        var verbose = parse.GetValue(Global.Verbose);
        ILogger? logger = null;
        RunSettings? loaded = null;
        var journal = false;
        int Fail(int exitCode, string message) => hook
            ? Hook.HookFailurePolicy.Handle(exitCode, message, loaded?.HookFailClosed, loaded?.ConfigPath ?? parse.GetValue(Global.Config), _environment, logger, journal)
            : this.Fail(exitCode, message);
        try
        {
            var settings = SettingsLoader.Load(_environment, parse, Global);
            loaded = settings;
            logger = Logging.Create(_environment, parse.GetValue(Global.LogTarget), verbose, out var toJournal, bestEffort: hook, info: parse.CommandResult.Command.Name == "daemon");
            journal = toJournal;
            using var context = new CommandContext(_environment, settings, logger, _sourceFactory(settings), logVerdicts: toJournal || verbose);
            return await verb(context).ConfigureAwait(false);
        }
        catch (GuardExitException e)
        {
            return Fail(e.ExitCode, e.Message);
        }
        catch (UsageException e)
        {
            return Fail(ExitCodes.Usage, e.Message);
        }
        catch (InvalidRequestException e)
        {
            return Fail(ExitCodes.Usage, e.Message);
        }
        catch (NoAnswerException e)
        {
            return Fail(ExitCodes.Unknown, e.Message);
        }
        catch (GuardConfigurationException e)
        {
            return Fail(ExitCodes.Configuration, e.Message);
        }
        catch (ParseException e)
        {
            return Fail(ExitCodes.Unknown, e.Error.ToString());
        }
        catch (SourceUnavailableException e)
        {
            return Fail(ExitCodes.Unknown, e.Message);
        }
        catch (OperationCanceledException)
        {
            return Fail(ExitCodes.Unknown, "cancelled before an answer was reached");
        }
        catch (Infrastructure.IO.UnsafeLocationException e)
        {
            // A symlink in a path root writes into, or a folder others can write: the installation must change.
            return Fail(ExitCodes.Configuration, e.Message);
        }
        catch (IOException e)
        {
            return Fail(ExitCodes.Unknown, IoErrors.Message(e));
        }
        catch (UnauthorizedAccessException e)
        {
            return Fail(ExitCodes.Unknown, IoErrors.Message(e));
        }
#pragma warning disable CA1031 // The last line of defence: an internal error still gets one line and exit 3, never a stack trace by default.
        catch (Exception e)
#pragma warning restore CA1031
        {
            // The stack trace goes to the journal, or to the terminal with -v; never to an operator's terminal by default.
            if (verbose || journal)
            {
                logger?.Error(e, "Internal error");
            }

            return Fail(ExitCodes.Unknown, verbose ? $"internal error: {e}" : $"internal error: {e.Message} (run with -v for details)");
        }
        finally
        {
            (logger as IDisposable)?.Dispose();
        }
    }

    private int Fail(int exitCode, string message)
    {
        // Messages quote names from configs, snapshots and the API: their control characters are shown, not obeyed.
        _environment.Error.WriteLine($"proxclmc-guard: {Rendering.Names.Visible(message)}");
        return exitCode;
    }

    private RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "ProxClmc.Guard: makes Proxmox VE live migration safe with respect to CPU compatibility.\n" +
            "Computes the CPU type every node can run, flags VMs whose CPU type some node cannot run (or that use host/max),\n" +
            "rewrites them safely on request, and refuses migrations a target node cannot run.\n\n" +
            Documentation.ExitStatus.HelpLine);
        Global.AddTo(root);
        root.Subcommands.Add(BaselineCommand.Create(this));
        root.Subcommands.Add(ScanCommand.Create(this));
        root.Subcommands.Add(CheckCommand.Create(this));
        root.Subcommands.Add(HookCommand.Create(this, ctx => CompositionRoot.HookSourceFacts(ctx.Settings, ctx.Environment), _hookscriptSetter));
        root.Subcommands.Add(DaemonCommand.Create(this, _sourceFactory));
        root.Subcommands.Add(FixCommand.Create(this));
        root.Subcommands.Add(SnapshotCommand.Create(this));
        root.Subcommands.Add(FactsCommand.Create(this));
        root.Subcommands.Add(HistoryCommand.Create(this));
        return root;
    }
}
