namespace ProxClmc.Guard.Infrastructure.Journal;

/// <summary>Chooses the journal or the console, the way systemd tools do.</summary>
public static class JournalDetection
{
    /// <summary>
    /// The journal when started by systemd (<c>JOURNAL_STREAM</c>, set when stdout/stderr go to the journal, or
    /// <c>INVOCATION_ID</c>, set for every unit) and the journal socket is there; the console otherwise, so a run
    /// from a shell, cron or a container without journald still prints its log.
    /// </summary>
    public static bool ShouldUseJournal(Func<string, string?> environment, Func<string, bool> socketExists, string socketPath = JournaldSinkOptions.DefaultSocketPath)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(socketExists);
        var underSystemd = !string.IsNullOrEmpty(environment("JOURNAL_STREAM")) || !string.IsNullOrEmpty(environment("INVOCATION_ID"));
        return underSystemd && socketExists(socketPath);
    }

    /// <summary>The explicit <c>--log-target</c> when given, otherwise <see cref="ShouldUseJournal"/>.</summary>
    public static LogTarget Choose(LogTarget? requested, Func<string, string?> environment, Func<string, bool> socketExists, string socketPath = JournaldSinkOptions.DefaultSocketPath) =>
        requested ?? (ShouldUseJournal(environment, socketExists, socketPath) ? LogTarget.Journal : LogTarget.Console);

    /// <summary>Parses a <c>--log-target</c> value (<c>console</c> or <c>journal</c>, any case).</summary>
    public static bool TryParse(string? value, out LogTarget target)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case "console":
                target = LogTarget.Console;
                return true;
            case "journal":
                target = LogTarget.Journal;
                return true;
            default:
                target = default;
                return false;
        }
    }

    /// <summary>
    /// The journal socket to write to: <c>PROXCLMC_GUARD_JOURNAL_SOCKET</c> when set (tests point a whole
    /// <c>proxclmc-guard</c> process at a journald namespace of their own with it), else the system socket.
    /// </summary>
    public static string SocketPath(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var overridden = environment("PROXCLMC_GUARD_JOURNAL_SOCKET");
        return string.IsNullOrEmpty(overridden) ? JournaldSinkOptions.DefaultSocketPath : overridden;
    }
}
