using ProxClmc.Guard.Core.Compliance;

namespace ProxClmc.Guard.Rendering;

/// <summary>
/// One warning per unsafe guest and one summary line. Property names become journal fields
/// (VmId → PROXCLMC_VMID, Node, Verdict, Cpu, Baseline), so <c>journalctl PROXCLMC_VERDICT=host-cpu</c> finds them.
/// </summary>
internal static class ScanLog
{
    public static void Write(Serilog.ILogger log, ComplianceReport report)
    {
        var baseline = report.Baseline.ClusterCpuType;
        foreach (var verdict in report.Verdicts.Where(v => v.Verdict.IsUnsafe() || v.Verdict.IsWarning()))
        {
            log.Warning(
                "VM {VmId} ({Name}) on {Node}: {Verdict}, cpu {Cpu}, cluster baseline {Baseline}: {Reason}",
                verdict.Guest.VmId,
                verdict.Guest.Name ?? "-",
                verdict.Guest.Node,
                verdict.Verdict.Name(),
                verdict.Cpu,
                baseline,
                verdict.Reason);
        }

        // Every ignored VM, at notice level: a tag any VM administrator could set must leave a trace (see README,
        // "registered-tags", for keeping proxclmc-ignore to privileged users).
        var notice = log.ForContext(JournalPriority.Property, JournalPriority.Notice);
        foreach (var verdict in report.Verdicts.Where(v => v.Verdict == Verdict.Ignored))
        {
            notice.Information(
                "VM {VmId} ({Name}) on {Node}: {Verdict}, not checked: {Reason}",
                verdict.Guest.VmId,
                verdict.Guest.Name ?? "-",
                verdict.Guest.Node,
                verdict.Verdict.Name(),
                verdict.Reason);
        }

        log.Information("Scan finished: cluster baseline {Baseline}; {Summary}", baseline, TableRenderer.Summary(report));
    }
}
