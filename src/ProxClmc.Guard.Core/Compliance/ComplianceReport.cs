using ProxClmc.Guard.Core.Cpu;

namespace ProxClmc.Guard.Core.Compliance;

/// <summary>One run's result: the baseline and a verdict per guest, unsafe guests first.</summary>
public sealed record ComplianceReport(ClusterBaseline Baseline, IReadOnlyList<GuestVerdict> Verdicts, DateTimeOffset GeneratedAt)
{
    public int Count(Verdict verdict) => Verdicts.Count(v => v.Verdict == verdict);

    public int UnsafeCount => Verdicts.Count(v => v.Verdict.IsUnsafe());

    public int WarningCount => Verdicts.Count(v => v.Verdict.IsWarning() || (!v.Verdict.IsUnsafe() && v.HasWarningNote));

    public IEnumerable<GuestVerdict> InvalidConfigs => Verdicts.Where(v => v.Verdict == Verdict.InvalidConfig);

    /// <summary>Guests whose config was not read because their node is down or unreachable.</summary>
    public IEnumerable<GuestVerdict> NotRead => Verdicts.Where(v => v.Guest.NotReadReason is not null);

    /// <summary>
    /// The monitoring-plugin exit code: 3 when something could not be determined (unreadable nodes without
    /// --allow-partial, a config that cannot be parsed), else 2 for unsafe guests or nodes below a pinned baseline,
    /// else 1 for warnings, else 0.
    /// </summary>
    public int ExitCode(bool allowPartial)
    {
        if (((Baseline.IsPartial || NotRead.Any()) && !allowPartial) || InvalidConfigs.Any())
        {
            return ExitCodes.Unknown;
        }

        if (UnsafeCount > 0 || Baseline.NodesBelowPin.Count > 0)
        {
            return ExitCodes.Unsafe;
        }

        return WarningCount > 0 || Baseline.IsPartial ? ExitCodes.Warning : ExitCodes.Ok;
    }

    /// <summary>Sort order for reports: unsafe first, then warnings, then the rest; by VM id within a group.</summary>
    public static IReadOnlyList<GuestVerdict> Order(IEnumerable<GuestVerdict> verdicts) =>
        verdicts.OrderBy(Rank).ThenBy(v => v.Guest.VmId).ToList();

    private static int Rank(GuestVerdict v) => v.Verdict switch
    {
        Verdict.InvalidConfig => 0,
        Verdict.ExceedsBaseline => 1,
        Verdict.HostCpu => 2,
        Verdict.UnknownModel => 3,
        Verdict.Unverified => 4,
        Verdict.Ok when v.HasWarningNote => 5,
        Verdict.Ok => 6,
        Verdict.Ignored => 7,
        _ => 8,
    };
}

/// <summary>Exit codes (monitoring-plugin convention, usable from Icinga/Nagios/Checkmk).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Warning = 1;
    public const int Unsafe = 2;
    public const int Unknown = 3;
    public const int Usage = 64;
    public const int Configuration = 78;
}
