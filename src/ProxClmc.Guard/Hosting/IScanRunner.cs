using System.Globalization;

namespace ProxClmc.Guard.Hosting;

/// <summary>
/// One compliance scan as the <c>daemon</c> worker runs it: read the cluster, judge every guest, log one warning per
/// unsafe guest and one summary line, write the report files. Keeping the last good facts of a node that failed is the
/// runner's job; the worker only schedules runs and reports their outcome to systemd.
/// </summary>
internal interface IScanRunner
{
    /// <summary>Runs one scan. Throwing means the scan could not run at all (the worker logs it and tries again at
    /// the next interval); a scan that ran but could not determine everything returns <c>ExitCode</c> 3 instead.</summary>
    Task<ScanRunSummary> RunOnceAsync(CancellationToken cancellationToken);
}

/// <summary>The outcome of one scan, in the terms of <c>systemctl status</c>'s one-line status.</summary>
/// <param name="Baseline">The cluster baseline as the scan named it, e.g. <c>x86-64-v3</c>.</param>
/// <param name="ExitCode">What <c>scan</c> would have exited with (0, 1, 2 or 3; see DESIGN.md).</param>
internal sealed record ScanRunSummary(string Baseline, int Guests, int Unsafe, int Warnings, DateTimeOffset FinishedAt, int ExitCode)
{
    /// <summary><c>baseline x86-64-v3, 3 unsafe of 20 guests, last run 2026-11-23T13:00:00Z</c>, with the warning count
    /// when there are warnings and a note when the scan could not determine everything (exit 3).</summary>
    public string StatusLine()
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"baseline {Baseline}, {Unsafe} unsafe of {Guests} guests");
        if (Warnings > 0)
        {
            line += string.Create(CultureInfo.InvariantCulture, $", {Warnings} {(Warnings == 1 ? "warning" : "warnings")}");
        }

        if (ExitCode == 3)
        {
            line += ", incomplete (some nodes or guests could not be read)";
        }

        return line + ", last run " + Timestamp(FinishedAt);
    }

    internal static string Timestamp(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>Re-reads the configuration file (SIGHUP, <c>systemctl reload proxclmc-guard</c>).</summary>
internal interface IConfigReloader
{
    /// <summary>Loads the configuration again. On an error the previous configuration stays in force and
    /// <paramref name="error"/> says why (file:line:column or the key, as the loader reports it).</summary>
    bool TryReload(out string? error);
}
