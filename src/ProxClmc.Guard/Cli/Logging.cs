using ProxClmc.Guard.Infrastructure.Journal;
using Serilog;
using Serilog.Events;

namespace ProxClmc.Guard.Cli;

/// <summary>
/// Creates the run's logger: the journal (native protocol, structured PROXCLMC_* fields) under systemd or with
/// <c>--log-target journal</c>, otherwise one plain line per event on stderr, so stdout carries only the verb's output.
/// </summary>
internal static class Logging
{
    /// <param name="bestEffort">The hook: journal sends never wait (a stalled journald drops the entry instead).</param>
    /// <param name="info">The daemon: its start and each scan's summary are shown on a console too (at info).</param>
    public static Serilog.Core.Logger Create(CliEnvironment environment, string? target, bool verbose, out bool toJournal, bool bestEffort = false, bool info = false)
    {
        LogTarget? requested = null;
        if (target is not null)
        {
            if (!JournalDetection.TryParse(target, out var parsed))
            {
                throw new UsageException($"--log-target {target}: expected console or journal");
            }

            requested = parsed;
        }

        var env = environment.GetEnvironmentVariable;
        var socketPath = JournalDetection.SocketPath(env);
        toJournal = JournalDetection.Choose(requested, env, File.Exists, socketPath) == LogTarget.Journal;
        var configuration = new LoggerConfiguration().MinimumLevel.Is(verbose ? LogEventLevel.Debug : LogEventLevel.Information);
        return toJournal
            ? configuration.WriteTo.Journald(new JournaldSinkOptions
            {
                SocketPath = socketPath,
                NonBlocking = bestEffort,
                // A verb's "journal unavailable" notice goes where its other messages go; the hook keeps its stderr
                // for its one decision line. Process stderr written directly, not Console.Error (keypad mode).
                ErrorOutput = bestEffort ? Infrastructure.IO.StandardStreams.Writer(Infrastructure.IO.StandardStreams.Error) : environment.Error,
            }).CreateLogger()
            : configuration.WriteTo.Sink(new TextWriterSink(environment.Error, verbose), verbose ? LogEventLevel.Debug : info ? LogEventLevel.Information : LogEventLevel.Warning).CreateLogger();
    }

    /// <summary>A plain stderr sink: one line per event, no colours (the output is often a pipe or a file).</summary>
    /// <param name="verbose">-v: an error's exception is written whole (its stack trace); never without it.</param>
    private sealed class TextWriterSink(TextWriter writer, bool verbose) : Serilog.Core.ILogEventSink
    {
        // ":l" renders strings without the quotes Serilog's default rendering adds.
        private static readonly Serilog.Formatting.Display.MessageTemplateTextFormatter Message =
            new("{Message:lj}", System.Globalization.CultureInfo.InvariantCulture);

        public void Emit(LogEvent logEvent)
        {
            var level = logEvent.Level switch
            {
                LogEventLevel.Warning => "warning",
                LogEventLevel.Error or LogEventLevel.Fatal => "error",
                LogEventLevel.Information => "info",
                _ => "debug",
            };
            var message = new StringWriter();
            Message.Format(logEvent, message);
            writer.WriteLine($"proxclmc-guard: {level}: {Rendering.Names.Visible(message.ToString())}");
            if (verbose && logEvent.Exception is { } e && logEvent.Level >= LogEventLevel.Error)
            {
                writer.WriteLine(e.ToString());
            }
        }
    }
}
