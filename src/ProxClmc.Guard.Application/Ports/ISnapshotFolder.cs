namespace ProxClmc.Guard.Application.Ports;

/// <summary>
/// The output folder of <c>snapshot --out</c>: every file is created new under it, never outside it and never
/// through a link, although node names and VM ids from corosync.conf or the API become path segments.
/// </summary>
public interface ISnapshotFolder : IDisposable
{
    string Root { get; }

    /// <summary>Empties the folder again (or removes it, when this run made it): a failed run leaves no half snapshot.</summary>
    void Discard();

    void WriteCorosync(ReadOnlySpan<byte> bytes);

    void WriteCustomModels(ReadOnlySpan<byte> bytes);

    /// <summary>ha/resources.cfg, groups.cfg or rules.cfg.</summary>
    void WriteHa(string file, ReadOnlySpan<byte> bytes);

    void WriteCpuInfo(string node, ReadOnlySpan<byte> bytes);

    /// <summary>nodes/&lt;node&gt;/proxclmc-guard/facts.json: the node's published facts, where pmxcfs keeps them.</summary>
    void WritePublishedFacts(string node, ReadOnlySpan<byte> bytes);

    void WriteVmConfig(string node, int vmId, ReadOnlySpan<byte> bytes);

    void WriteContainerConfig(string node, int vmId, ReadOnlySpan<byte> bytes);

    void WriteManifest(ReadOnlySpan<byte> bytes);
}
