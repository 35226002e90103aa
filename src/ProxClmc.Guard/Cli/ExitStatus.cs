using ProxClmc.Guard.Core.Compliance;

namespace ProxClmc.Guard.Cli;

/// <summary>
/// The exit codes with what they mean: a few words for <c>--help</c>, a sentence for the man page's EXIT STATUS.
/// </summary>
internal static class ExitStatus
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "Short and Long are the two lengths of an exit status's description, as the man page shows them.")]
    public sealed record Entry(int Code, string Short, string Long);

    public static IReadOnlyList<Entry> All { get; } =
    [
        new(ExitCodes.Ok, "all safe", "All safe."),
        new(ExitCodes.Warning, "warnings only", "Warnings only: unverified guests, notes that need attention, a partial baseline with --allow-partial."),
        new(ExitCodes.Unsafe, "unsafe guests or a refused check", "Unsafe guests, nodes below a pinned baseline, or a refused check or hook."),
        new(ExitCodes.Unknown, "could not determine", "Could not determine: unreachable nodes, API or TLS errors, incomplete facts, a guest config that cannot be read."),
        new(ExitCodes.Usage, "usage error",
            "Usage error: an unknown verb or option, a filter that matches nothing, check of a VM or --target node that does not exist, an --assume-node file that cannot be read, an output path given on the command line that cannot be written (snapshot --out, fix --save-plan, hook attach --snippets-dir), a --format the command cannot honour, a plan too old, made against another cluster or applied already, or --from with a command that changes the cluster."),
        new(ExitCodes.Configuration, "configuration error", "Configuration error, naming file, line and column (also: a secret file readable by others than its owner)."),
    ];

    /// <summary>The lines <c>--help</c> ends with (the usage and configuration codes on a line of their own).</summary>
    public static string HelpLine =>
        "Exit codes: " + string.Join(", ", All.Where(e => e.Code < ExitCodes.Usage).Select(e => $"{e.Code} {e.Short}")) + ",\n" +
        string.Join(", ", All.Where(e => e.Code >= ExitCodes.Usage).Select(e => $"{e.Code} {e.Short}")) + ".";
}
