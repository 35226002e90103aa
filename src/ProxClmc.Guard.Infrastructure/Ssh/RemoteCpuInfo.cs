namespace ProxClmc.Guard.Infrastructure.Ssh;

/// <summary>A node's raw <c>/proc/cpuinfo</c> read over SSH, or one line per address tried saying why it could not be.</summary>
public sealed record RemoteCpuInfo(string Node, string Address, string? Text, string? Error)
{
    public bool IsSuccess => Text is not null;
}
