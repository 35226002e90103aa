using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Infrastructure.IO;

/// <summary>Limits shared by the readers.</summary>
public static class FileLimits
{
    public static int ForCpuInfo => InputLimits.MaxCpuInfoBytes;

    public static int ForPmxcfs => InputLimits.MaxPmxcfsFileBytes;
}
