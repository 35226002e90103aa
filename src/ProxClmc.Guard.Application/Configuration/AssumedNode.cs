namespace ProxClmc.Guard.Application.Configuration;

/// <summary>A what-if node: "what if I add a node with this /proc/cpuinfo?"</summary>
public sealed record AssumedNode(string Name, string CpuInfoFile);
