using System.CommandLine;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Parsing;
using ProxClmc.Guard.Core.Sources;
using Serilog;

namespace ProxClmc.Guard.Cli;

/// <summary>
/// What every verb shares: the global options, and one run of a verb with the effective settings, its logger and
/// context, every failure translated into one line on stderr and the documented exit code (0, 1, 2, 3, 64, 78).
/// The command tree (<c>GuardCli</c>) hands it to each command it builds.
/// </summary>
internal sealed class VerbRunner(CliEnvironment environment, Func<RunSettings, ISourceFactory> sourceFactory)
{
    private readonly CliEnvironment _environment = environment;
    private readonly Func<RunSettings, ISourceFactory> _sourceFactory = sourceFactory;

    public GlobalOptions Global { get; } = new();

    /// <summary>Runs a verb with the effective settings, mapping exceptions to exit codes and one line on stderr.</summary>
    public Task<int> RunAsync(ParseResult parse, Func<CommandContext, Task<int>> verb) => RunAsync(parse, verb, hook: false);

    /// <summary>
    /// As <see cref="RunAsync(ParseResult, Func{CommandContext, Task{int}})"/>; for the hook verb (<paramref name="hook"/>)
    /// logging is best effort (never blocks) and every failure is allowed or refused by <c>hook.fail_closed</c>
    /// (<see cref="HookFailurePolicy"/>).
    /// </summary>
    public async Task<int> RunAsync(ParseResult parse, Func<CommandContext, Task<int>> verb, bool hook)
    {
        var verbose = parse.GetValue(Global.Verbose);
        ILogger? logger = null;
        RunSettings? loaded = null;
        var journal = false;
        int Fail(int exitCode, string message) => hook
            ? HookFailurePolicy.Handle(exitCode, message, loaded?.HookFailClosed, loaded?.ConfigPath ?? parse.GetValue(Global.Config), _environment, logger, journal)
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
}
