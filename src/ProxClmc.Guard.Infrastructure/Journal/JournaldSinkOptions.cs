namespace ProxClmc.Guard.Infrastructure.Journal;

/// <summary>Where and how <see cref="JournaldSink"/> writes.</summary>
public sealed class JournaldSinkOptions
{
    public const string DefaultSocketPath = "/run/systemd/journal/socket";

    public const string DefaultSyslogIdentifier = "proxclmc-guard";

    /// <summary>The journal's native socket; a unit with <c>LogNamespace=</c> sees its namespace's socket here too.</summary>
    public string SocketPath { get; init; } = DefaultSocketPath;

    public string SyslogIdentifier { get; init; } = DefaultSyslogIdentifier;

    private readonly TextWriter? _errorOutput;
    private readonly bool _errorOutputGiven;

    /// <summary>
    /// Where the single "journal unavailable, dropping events" notice goes; null keeps quiet; Console.Error when not
    /// given (asked only then: touching Console switches a terminal into keypad mode).
    /// </summary>
    public TextWriter? ErrorOutput
    {
        get => _errorOutputGiven ? _errorOutput : Console.Error;
        init
        {
            _errorOutput = value;
            _errorOutputGiven = true;
        }
    }

    /// <summary>
    /// Never wait for journald: an entry it cannot take at once is dropped. For the hookscript, whose answer must
    /// not depend on the journal; otherwise a send waits up to 2 s.
    /// </summary>
    public bool NonBlocking { get; init; }

    /// <summary>Send every entry through a sealed memfd, as for oversized ones (tests of that path).</summary>
    internal bool AlwaysUseMemfd { get; init; }
}
