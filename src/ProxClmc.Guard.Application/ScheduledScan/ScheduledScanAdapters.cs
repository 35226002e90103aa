using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Ports;

namespace ProxClmc.Guard.Application.ScheduledScan;

/// <summary>What the daemon's scans read from and write to, built afresh from the settings in force for each run (a reload may change them).</summary>
/// <param name="ReadAssumedCpuInfo">Reads an <c>--assume-node</c> cpuinfo file.</param>
public sealed record ScheduledScanAdapters(
    Func<RunSettings, ClusterSources> Sources,
    Func<RunSettings, IReportSink> Reports,
    Func<RunSettings, IClusterLock> Lock,
    ICpuStateStore States,
    Func<string, string> ReadAssumedCpuInfo)
{
    /// <summary>This node's facts republishing before each scan; null or a null answer: none.</summary>
    public Func<RunSettings, IOwnFactsRefresher?>? OwnFacts { get; init; }
}
