using System.Collections.Concurrent;
using System.Globalization;
using Serilog.Core;
using Serilog.Events;

namespace ProxClmc.Guard.Cli.Tests.Hosting;

internal sealed class CollectingSink : ILogEventSink
{
    public ConcurrentQueue<LogEvent> Events { get; } = new();

    public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);

    public IEnumerable<string> Messages(LogEventLevel level) =>
        Events.Where(e => e.Level == level).Select(e => e.RenderMessage(CultureInfo.InvariantCulture));
}
