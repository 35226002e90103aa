using Serilog;
using Serilog.Events;

namespace ProxClmc.Guard.Cli;

/// <summary>Creates the run's logger: the journal under systemd (or with --log-target journal), otherwise stderr.</summary>
public static class Logging
{
    public static ILogger Create(CliEnvironment environment, string? target, bool verbose, out bool toJournal)
    {
        if (target is not (null or "console" or "journal"))
        {
            throw new UsageException($"--log-target {target}: expected console or journal");
        }

        toJournal = false;
        var level = verbose ? LogEventLevel.Debug : LogEventLevel.Warning;
        return new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .WriteTo.Sink(new TextWriterSink(environment.Error))
            .CreateLogger();
    }

    /// <summary>A plain stderr sink: one line per event, no colours (the output is often a pipe or a file).</summary>
    private sealed class TextWriterSink(TextWriter writer) : Serilog.Core.ILogEventSink
    {
        public void Emit(LogEvent logEvent)
        {
            var level = logEvent.Level switch
            {
                LogEventLevel.Warning => "warning",
                LogEventLevel.Error or LogEventLevel.Fatal => "error",
                _ => "info",
            };
            writer.WriteLine($"proxclmc-guard: {level}: {logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture)}");
        }
    }
}
