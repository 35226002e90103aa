using System.Text.RegularExpressions;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Configuration;
using ProxClmc.Guard.Core.Compliance;
using Serilog;

namespace ProxClmc.Guard.Cli;

/// <summary>
/// What the hook verb does when it fails outside the decision itself (a configuration error, an unreadable file, an
/// internal error): Proxmox aborts a VM start on any non-zero exit, so such a failure must not block every VM start
/// unless the administrator asked for that. <c>[hook] fail_closed = false</c> (the default) allows: exit 0 and one
/// line on stderr and in the journal. <c>true</c> refuses with the failure's own exit code and one line.
/// </summary>
internal static partial class HookFailurePolicy
{
    /// <summary>
    /// The exit code and line for a failure. <paramref name="failClosed"/> is the loaded setting, or null when the
    /// configuration itself could not be loaded (then <see cref="ProbeFailClosed"/> reads it leniently).
    /// </summary>
    /// <param name="toJournal">Whether <paramref name="log"/> writes to the journal; a console logger would only repeat the stderr line.</param>
    public static int Handle(int exitCode, string message, bool? failClosed, string? configPath, CliEnvironment environment, ILogger? log, bool toJournal)
    {
        var closed = failClosed ?? ProbeFailClosed(configPath ?? GuardConfig.DefaultPath);
        message = Rendering.Names.Visible(message);
        var line = closed
            ? $"proxclmc-guard: refusing the start: the hook failed: {message} (hook.fail_closed = true)"
            : $"proxclmc-guard: the hook failed, allowing the start: {message} (hook.fail_closed = false)";
        try
        {
            environment.Error.WriteLine(line);
        }
        catch (IOException)
        {
        }

        try
        {
            var logger = log;
            Serilog.Core.Logger? own = null;
            if (logger is null)
            {
                // The configuration failed before the run's logger existed: one journal line still says what happened.
                own = Logging.Create(environment, null, verbose: false, out toJournal, bestEffort: true);
                logger = own;
            }

            if (toJournal)
            {
                logger.Error("Hook failed outside its decision: {Why}; {Outcome}", message, closed ? "refusing (hook.fail_closed = true)" : "allowing (hook.fail_closed = false)");
            }

            own?.Dispose();
        }
#pragma warning disable CA1031 // Logging is best effort here; the outcome is already decided.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        return closed ? (exitCode == ExitCodes.Ok ? ExitCodes.Unknown : exitCode) : ExitCodes.Ok;
    }

    /// <summary>
    /// <c>[hook] fail_closed</c> read line by line from a configuration file that did not load (a typo elsewhere must
    /// not flip this one setting). Anything unreadable counts as the default, false.
    /// </summary>
    public static bool ProbeFailClosed(string path)
    {
        string? text;
        try
        {
            text = ConfigFileReader.Instance.ReadTextOrNull(path);
        }
#pragma warning disable CA1031 // An unreadable file means the default.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }

        if (text is null)
        {
            return false;
        }

        var inHook = false;
        var failClosed = false;
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.StartsWith('['))
            {
                inHook = HookSectionHeader.IsMatch(trimmed);
                continue;
            }

            var match = FailClosedLine().Match(trimmed);
            if (inHook && match.Success)
            {
                failClosed = match.Groups[1].Value == "true";
            }
        }

        return failClosed;
    }

    [GeneratedRegex(@"^fail_closed\s*=\s*(true|false)\s*(#.*)?$")]
    private static partial Regex FailClosedLine();
}
