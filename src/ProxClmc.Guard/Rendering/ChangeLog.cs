using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.History;

namespace ProxClmc.Guard.Rendering;

/// <summary>
/// One journal entry per change of the cluster's CPU: a warning for each loss (a node that lost flags, a node level or
/// the baseline that went down, a guest that became unsafe), a notice for the rest. Every entry carries
/// PROXCLMC_CHANGE (the kind), PROXCLMC_NODE, PROXCLMC_FLAGS, PROXCLMC_FROM and PROXCLMC_TO ("-" where the kind has
/// none), so <c>journalctl -t proxclmc-guard PROXCLMC_CHANGE=node-lost-flags</c> lists every loss with its cause.
/// </summary>
internal static class ChangeLog
{
    public static void Write(Serilog.ILogger log, CpuChanges changes)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(changes);
        foreach (var change in changes.Changes)
        {
            var (from, to) = FromTo(change);
            var entry = log
                .ForContext("Change", change.Kind)
                .ForContext("Node", change.Node ?? "-")
                .ForContext("Flags", change.Flags.Count > 0 ? string.Join(' ', change.Flags) : "-")
                .ForContext("From", from)
                .ForContext("To", to);
            if (change.VmId is { } vmid)
            {
                entry = entry.ForContext("VmId", vmid);
            }

            if (change.IsLoss)
            {
                entry.Warning("Cluster CPU change since {Since}: {Summary}", TableRendererTime(change.Since), change.Describe());
            }
            else
            {
                entry.ForContext(JournalPriority.Property, JournalPriority.Notice)
                    .Information("Cluster CPU change since {Since}: {Summary}", TableRendererTime(change.Since), change.Describe());
            }
        }
    }

    /// <summary>
    /// What the change went from and to: the levels (or named models, when only they changed), the verdicts, and for a
    /// node's flags or software the kernel, microcode and QEMU that changed beside them.
    /// </summary>
    public static (string From, string To) FromTo(CpuChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        switch (change.Kind)
        {
            case CpuChangeKind.NodeLevelChanged or CpuChangeKind.BaselineChanged when change.From == change.To:
                return (change.NamedFrom ?? "none", change.NamedTo ?? "none");
            case CpuChangeKind.NodeLevelChanged or CpuChangeKind.BaselineChanged or CpuChangeKind.GuestVerdictChanged:
                return (change.From ?? "-", change.To ?? "-");
            default:
                if (change.Software is not { IsEmpty: false } software)
                {
                    return ("-", "-");
                }

                var parts = new[] { ("kernel", software.Kernel), ("microcode", software.Microcode), ("qemu", software.Qemu) }.Where(p => p.Item2 is not null).ToList();
                return (string.Join(", ", parts.Select(p => $"{p.Item1} {p.Item2!.From ?? "?"}")), string.Join(", ", parts.Select(p => $"{p.Item1} {p.Item2!.To ?? "?"}")));
        }
    }

    private static string TableRendererTime(DateTimeOffset at) => Rendering.TableRenderer.Time(at);
}
