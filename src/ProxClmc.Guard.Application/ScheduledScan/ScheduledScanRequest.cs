using ProxClmc.Guard.Application.Configuration;

namespace ProxClmc.Guard.Application.ScheduledScan;

/// <summary>One of the daemon's scans, with the settings in force for it (the last successful reload's).</summary>
public sealed record ScheduledScanRequest(RunSettings Settings);
