using Serilog;
using Serilog.Configuration;
using Serilog.Events;

namespace ProxClmc.Guard.Infrastructure.Journal;

public static class JournaldSinkExtensions
{
    /// <summary><c>.WriteTo.Journald()</c>: the journal's native protocol (see <see cref="JournaldSink"/>).</summary>
    public static LoggerConfiguration Journald(
        this LoggerSinkConfiguration sinkConfiguration,
        JournaldSinkOptions? options = null,
        LogEventLevel restrictedToMinimumLevel = LevelAlias.Minimum)
    {
        ArgumentNullException.ThrowIfNull(sinkConfiguration);
        return sinkConfiguration.Sink(new JournaldSink(options), restrictedToMinimumLevel);
    }
}
