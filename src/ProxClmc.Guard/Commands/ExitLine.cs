using ProxClmc.Guard.Cli;

namespace ProxClmc.Guard.Commands;

/// <summary>
/// A verb's non-zero outcome: the one line it prints on stderr, as every error's line reads
/// (<c>proxclmc-guard: why</c>, control characters shown, not obeyed), and the exit code it returns.
/// </summary>
internal static class ExitLine
{
    public static int Write(CommandContext ctx, int exitCode, string line)
    {
        ctx.Environment.Error.WriteLine($"proxclmc-guard: {Rendering.Names.Visible(line)}");
        return exitCode;
    }
}
