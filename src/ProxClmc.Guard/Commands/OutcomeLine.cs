using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Commands;

/// <summary>
/// A verb's outcome other than "all well" (unsafe guests, could not determine): one line on stderr, as an error is
/// shown, and the exit code README "Exit codes" gives it. An outcome is a result, not an exception.
/// </summary>
public static class OutcomeLine
{
    public static int Exit(CommandContext ctx, int exitCode, string message)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        // Messages quote names from configs, snapshots and the API: their control characters are shown, not obeyed.
        ctx.Environment.Error.WriteLine($"proxclmc-guard: {Names.Visible(message)}");
        return exitCode;
    }
}
