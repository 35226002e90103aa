using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Application.Facts;

/// <summary>What <see cref="NodeFactsResolver"/> reads through; a null port is a layer the run does not have.</summary>
public sealed record NodeFactsPorts
{
    /// <summary>A snapshot's nodes/&lt;node&gt;/cpuinfo files (<c>--from</c>).</summary>
    public ISnapshotNodeFacts? Snapshot { get; init; }

    /// <summary>Each node's published facts under pve_root (or the snapshot folder).</summary>
    public IPublishedFacts? Published { get; init; }

    /// <summary>This host's own reading; null when every node, this one too, comes from <see cref="Live"/> (facts.source = api).</summary>
    public IOwnNodeReading? Own { get; init; }

    /// <summary>The live source for the other nodes: SSH or the Proxmox API.</summary>
    public INodeFactsSource? Live { get; init; }

    /// <summary>What the API adds to facts read (Proxmox's per-node KVM flags).</summary>
    public INodeFactsEnricher? Enricher { get; init; }

    /// <summary>The facts cache: fresh facts recorded, last facts offered by <see cref="NodeFactsRules.OfferLastKnown"/>. Null: no cache, or a run that writes nothing.</summary>
    public IFactsCacheStore? Cache { get; init; }

    /// <summary>Whether fresh facts are recorded in <see cref="Cache"/> (false for the hook: its decision writes nothing).</summary>
    public bool RecordInCache { get; init; } = true;
}
