namespace ProxClmc.Guard.Benchmarks;

/// <summary>One row of the figures table.</summary>
public sealed record ScaleFigure(string Case, TimeSpan Wall, long? PeakRssKiB, int? Requests, string Goal, bool? Met, string Detail = "")
{
    /// <summary>User + system CPU time of the CLI process (child runs only): wall time far above it means waiting, close to or above it means computing.</summary>
    public TimeSpan? Cpu { get; init; }

    /// <summary>CPU time the fake Proxmox's process spent during the run (it runs in its own process).</summary>
    public TimeSpan? ServerCpu { get; init; }

    /// <summary>The case's headline figure as README "Measured speed" states it (e.g. "412 µs/request", "1.34x faster").</summary>
    public ScaleValue? Figure { get; init; }

    /// <summary>What the figure is compared with, measured in the same run (e.g. OpenSSH's ssh on the same nodes).</summary>
    public string Reference { get; init; } = "";

    /// <summary>Every number of the case (wall, CPU, RSS, ratios, reference figures), for --format json.</summary>
    public IReadOnlyList<ScaleValue> Values { get; init; } = [];
}
