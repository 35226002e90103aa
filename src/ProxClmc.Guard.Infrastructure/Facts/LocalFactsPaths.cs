namespace ProxClmc.Guard.Infrastructure.Facts;

/// <summary>Where this node's own facts are read from (paths only change in tests).</summary>
public sealed record LocalFactsPaths
{
    public string CpuInfo { get; init; } = "/proc/cpuinfo";

    public string KernelRelease { get; init; } = "/proc/sys/kernel/osrelease";

    public string MicrocodeVersion { get; init; } = "/sys/devices/system/cpu/cpu0/microcode/version";
}
