using System.Globalization;
using ProxClmc.Guard.Infrastructure.Journal;
using Serilog;
using Serilog.Events;

namespace ProxClmc.Guard.Composition;

/// <summary>
/// The process logger for every verb: the journal (native protocol, structured fields) when <c>--log-target journal</c>
/// or when started by systemd with the journal present, otherwise the console on stderr, so that stdout carries only
/// the verb's output (a table, JSON, Prometheus text) and pipes cleanly.
/// </summary>
internal static class GuardLogging
{
    public const string ConsoleTemplate = "{Level:u3} {Message:lj}{NewLine}{Exception}";

    /// <param name="requested">The <c>--log-target</c> option, or null to detect.</param>
    /// <param name="minimumLevel">Information by default, Debug with <c>-v</c>.</param>
    /// <param name="environment">Process environment lookup (JOURNAL_STREAM, INVOCATION_ID, PROXCLMC_GUARD_JOURNAL_SOCKET).</param>
    /// <param name="socketExists">Defaults to a file system check.</param>
    public static Serilog.Core.Logger Create(LogTarget? requested, LogEventLevel minimumLevel, Func<string, string?> environment, Func<string, bool>? socketExists = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var socketPath = JournalDetection.SocketPath(environment);
        var target = JournalDetection.Choose(requested, environment, socketExists ?? File.Exists, socketPath);
        var configuration = new LoggerConfiguration().MinimumLevel.Is(minimumLevel);
        return target == LogTarget.Journal
            ? configuration.WriteTo.Journald(new JournaldSinkOptions { SocketPath = socketPath }).CreateLogger()
            : configuration.WriteTo.Console(
                    outputTemplate: ConsoleTemplate,
                    formatProvider: CultureInfo.InvariantCulture,
                    standardErrorFromLevel: LogEventLevel.Verbose)
                .CreateLogger();
    }
}
