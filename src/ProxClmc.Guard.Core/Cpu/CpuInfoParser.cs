using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.Cpu;

public static class CpuInfoParser
{
    /// <summary>Parses /proc/cpuinfo. Non-x86 files fail with an "unsupported architecture" error; never throws on any input.</summary>
    public static ParseResult<CpuInfo> Parse(string text, string source = "/proc/cpuinfo") => throw new NotImplementedException();

    /// <summary>Facts from the Proxmox API's node status (<c>cpuinfo.model</c> and <c>cpuinfo.flags</c>); the vendor is inferred from the model name.</summary>
    public static ParseResult<CpuInfo> FromApi(string modelName, string flagsLine, string source) => throw new NotImplementedException();
}
