using System.Diagnostics;
using System.Text;

namespace ProxClmc.Guard.Hook;

/// <summary>What a child process did: its exit code (null when it did not finish), and the start of its output.</summary>
internal sealed record ProcessOutcome(int? ExitCode, string StandardOutput, string StandardError, bool TimedOut, string? StartError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>One line for the administrator: why it did not succeed.</summary>
    public string Failure(string program) =>
        StartError is not null ? $"{program}: {StartError}"
        : TimedOut ? $"{program} did not finish in time and was stopped"
        : $"{program} exited with {ExitCode}" + (FirstLine(StandardError) is { Length: > 0 } line ? ": " + line : "");

    private static string FirstLine(string text) => text.Trim().Split('\n')[0].Trim();
}

/// <summary>
/// Runs a program without a shell and with fixed arguments, reading stdout and stderr at the same time (a child
/// blocked on a full pipe never finishes), keeping at most <c>maxChars</c> of each, and stopping the whole process
/// tree when it runs past the timeout.
/// </summary>
internal static class BoundedProcess
{
    public const int DefaultMaxChars = 64 * 1024;

    public static async Task<ProcessOutcome> RunAsync(string program, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken, int maxChars = DefaultMaxChars)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new ProcessOutcome(null, "", "", false, File.Exists(program) ? "cannot be started" : "not found (run this on a Proxmox VE node)");
        }

        using (process)
        {
            process.StandardInput.Close();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            var stdout = ReadBoundedAsync(process.StandardOutput, maxChars);
            var stderr = ReadBoundedAsync(process.StandardError, maxChars);
            var timedOut = false;
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                timedOut = !cancellationToken.IsCancellationRequested;
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Exited just now.
                }

                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }

            return new ProcessOutcome(timedOut ? null : process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false), timedOut, null);
        }
    }

    /// <summary>Reads to the end (so the child never blocks on a full pipe) and keeps the first <paramref name="maxChars"/>.</summary>
    private static async Task<string> ReadBoundedAsync(StreamReader reader, int maxChars)
    {
        var kept = new StringBuilder();
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            var room = maxChars - kept.Length;
            if (room > 0)
            {
                kept.Append(buffer, 0, Math.Min(room, read));
            }
        }

        return kept.ToString();
    }
}
