namespace ProxClmc.Guard.Core.Parsing;

/// <summary>
/// Upper bounds on inputs. Real files are far below them; anything larger is refused with a clear error
/// instead of being held in memory (a runaway pmxcfs file or a wrong path must not take the node down).
/// </summary>
public static class InputLimits
{
    /// <summary>/proc/cpuinfo of a 512-thread host is about 1.5 MiB.</summary>
    public const int MaxCpuInfoBytes = 16 * 1024 * 1024;

    /// <summary>pmxcfs refuses files over 1 MiB (corosync.conf, VM configs, cpu-models.conf).</summary>
    public const int MaxPmxcfsFileBytes = 1024 * 1024;

    /// <summary>The tool's own configuration.</summary>
    public const int MaxConfigBytes = 1024 * 1024;
}
