using System.Globalization;
using System.Net.Sockets;
using System.Text;
using ProxClmc.Guard.Core.Compliance;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace ProxClmc.Guard.Infrastructure.Journal;

/// <summary>
/// A Serilog sink writing the journal's native protocol, so each event is one journal entry with its own fields.
/// <para>
/// Fields: <c>MESSAGE</c> (the rendered message, string values without quotes), <c>PRIORITY</c> (Verbose and Debug 7,
/// Information 6, Warning 4, Error 3, Fatal 2), <c>SYSLOG_IDENTIFIER</c> (<c>proxclmc-guard</c>), <c>EXCEPTION</c>
/// (the exception's full text) when there is one, and one field per log event property, named by one rule:
/// <c>PROXCLMC_</c> + the property name upper-cased, unless the name already starts with <c>PROXCLMC_</c>
/// (then it is kept), with characters journald does not allow replaced by <c>_</c>.
/// So <c>{VmId}</c> → <c>PROXCLMC_VMID</c>, <c>{Node}</c> → <c>PROXCLMC_NODE</c>, <c>{Verdict}</c> →
/// <c>PROXCLMC_VERDICT</c>, <c>{Cpu}</c> → <c>PROXCLMC_CPU</c>, <c>{Baseline}</c> → <c>PROXCLMC_BASELINE</c>.
/// Values are written as plain text: strings unquoted, numbers in the invariant culture, and a <see cref="Verdict"/> by its
/// report name (<c>host-cpu</c>, <c>exceeds-baseline</c>), so <c>journalctl PROXCLMC_VERDICT=host-cpu</c> finds it
/// whether the log call passed the enum or its name.
/// </para>
/// <para>
/// A journal that is missing or goes away (no socket, connection refused, full queue) never fails the run: the event
/// is dropped and one notice is written to <see cref="JournaldSinkOptions.ErrorOutput"/>.
/// </para>
/// </summary>
public sealed class JournaldSink : ILogEventSink, IDisposable
{
    public const string PropertyPrefix = "PROXCLMC_";

    /// <summary>
    /// A log event property that sets the journal PRIORITY itself (0-7) instead of the level's: Serilog has no
    /// "notice" (5), which is what a deliberate, auditable skip such as an ignored VM is. Not written as a field.
    /// </summary>
    public const string PriorityProperty = "JournalPriority";

    private readonly JournaldSinkOptions options;
    private readonly Lock gate = new();
    private Socket? socket;
    private int reportedFailure;
    private bool disposed;

    public JournaldSink(JournaldSinkOptions? options = null)
    {
        this.options = options ?? new JournaldSinkOptions();
    }

    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        var payload = JournalEncoder.Encode(ToFields(logEvent, options.SyslogIdentifier));
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            try
            {
                Send(payload);
            }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
            {
                ReportOnce(e);
            }
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            socket?.Dispose();
            socket = null;
        }
    }

    /// <summary>The journal name a log event property is written under (see the class summary).</summary>
    public static string? FieldNameForProperty(string propertyName) =>
        JournalEncoder.SanitizeFieldName(
            propertyName.StartsWith(PropertyPrefix, StringComparison.OrdinalIgnoreCase) ? propertyName : PropertyPrefix + propertyName);

    public static int Priority(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose or LogEventLevel.Debug => 7,
        LogEventLevel.Information => 6,
        LogEventLevel.Warning => 4,
        LogEventLevel.Error => 3,
        _ => 2,
    };

    private static int PriorityOf(LogEvent logEvent) =>
        logEvent.Properties.TryGetValue(PriorityProperty, out var value) && value is ScalarValue { Value: int p } && p is >= 0 and <= 7
            ? p
            : Priority(logEvent.Level);

    /// <summary>The fields one event becomes, in the order they are written.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ToFields(LogEvent logEvent, string syslogIdentifier = JournaldSinkOptions.DefaultSyslogIdentifier)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        var fields = new List<KeyValuePair<string, string>>(logEvent.Properties.Count + 4)
        {
            new("MESSAGE", RenderMessage(logEvent)),
            new("PRIORITY", PriorityOf(logEvent).ToString(CultureInfo.InvariantCulture)),
            new("SYSLOG_IDENTIFIER", syslogIdentifier),
        };

        if (logEvent.Exception is not null)
        {
            fields.Add(new("EXCEPTION", logEvent.Exception.ToString()));
        }

        foreach (var (name, value) in logEvent.Properties)
        {
            if (name == PriorityProperty)
            {
                continue;
            }

            var fieldName = FieldNameForProperty(name);
            if (fieldName is not null)
            {
                fields.Add(new(fieldName, RenderValue(value)));
            }
        }

        return fields;
    }

    private static string RenderMessage(LogEvent logEvent)
    {
        var text = new StringBuilder();
        using var writer = new StringWriter(text, CultureInfo.InvariantCulture);
        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is PropertyToken property
                && logEvent.Properties.TryGetValue(property.PropertyName, out var value)
                && value is ScalarValue { Value: string or Verdict })
            {
                writer.Write(Visible(RenderValue(value)));
            }
            else if (token is PropertyToken)
            {
                using var rendered = new StringWriter(CultureInfo.InvariantCulture);
                token.Render(logEvent.Properties, rendered, CultureInfo.InvariantCulture);
                writer.Write(Visible(rendered.ToString()));
            }
            else
            {
                token.Render(logEvent.Properties, writer, CultureInfo.InvariantCulture);
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// Values from configs and API answers (a VM name) never bring a line break, an escape sequence or a
    /// bidirectional override into MESSAGE: shown as \xNN or \uNNNN, as the tables show them. The structured fields
    /// keep the value as it is (the native protocol carries any byte there).
    /// </summary>
    private static string Visible(string text)
    {
        if (!text.Any(IsHidden))
        {
            return text;
        }

        var result = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            _ = !IsHidden(c) ? result.Append(c)
                : c < 0x100 ? result.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture))
                : result.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
        }

        return result.ToString();
    }

    private static bool IsHidden(char c) =>
        (char.IsControl(c) && c != '\t') || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');

    private static string RenderValue(LogEventPropertyValue value) => value switch
    {
        ScalarValue { Value: null } => string.Empty,
        ScalarValue { Value: string s } => s,
        ScalarValue { Value: Verdict verdict } => verdict.Name(),
        ScalarValue { Value: IFormattable f } => f.ToString(null, CultureInfo.InvariantCulture),
        ScalarValue scalar => scalar.Value.ToString() ?? string.Empty,
        _ => value.ToString(null, CultureInfo.InvariantCulture),
    };

    private void Send(byte[] payload)
    {
        socket ??= new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified)
        {
            // A journald that stops reading must not stall a scan for ever; the entry is dropped instead.
            SendTimeout = 2000,
            Blocking = !options.NonBlocking,
        };

        if (!options.AlwaysUseMemfd)
        {
            try
            {
                socket.SendTo(payload, new UnixDomainSocketEndPoint(options.SocketPath));
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.MessageSize or SocketError.NoBufferSpaceAvailable)
            {
                // Larger than the socket's send buffer allows in one datagram: hand it over as a memfd below.
            }
        }

        if (!JournalNative.IsSupported)
        {
            throw new IOException("entry too large for one datagram and memfd passing is unavailable on this platform");
        }

        var fd = JournalNative.CreateSealedMemfd("journal-message", payload);
        try
        {
            JournalNative.SendFd(socket.Handle, options.SocketPath, fd);
        }
        finally
        {
            JournalNative.CloseFd(fd);
        }
    }

    private void ReportOnce(Exception e)
    {
        if (Interlocked.Exchange(ref reportedFailure, 1) == 0)
        {
            try
            {
                // A missing socket reads "Cannot assign requested address" (EADDRNOTAVAIL) from sendto: say what it means.
                var why = !File.Exists(options.SocketPath) || e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressNotAvailable or System.Net.Sockets.SocketError.ConnectionRefused }
                    ? "no journald listens there: is systemd-journald running?"
                    : e.Message;
                options.ErrorOutput?.WriteLine(
                    $"proxclmc-guard: cannot write to the journal at {options.SocketPath} ({why}); log events are dropped");
            }
            catch (IOException)
            {
                // stderr itself is gone; nothing left to tell.
            }
        }
    }
}
