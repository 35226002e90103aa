namespace ProxClmc.Guard.Hosting;

/// <summary>How the <c>daemon</c> worker runs; everything it reads from the process is injectable for tests.</summary>
internal sealed class DaemonOptions
{
    /// <summary><c>[daemon] interval_seconds</c>: the pause between the end of one scan and the start of the next.</summary>
    public required TimeSpan Interval { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where <c>NOTIFY_SOCKET</c> is looked up.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Reload on SIGHUP (systemd's <c>ExecReload=/bin/kill -HUP $MAINPID</c>).</summary>
    public bool HandleSighup { get; init; } = true;
}
