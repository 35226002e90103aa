using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Application.Scan;

/// <summary>Steps 2–4 of a run: who is in the cluster, what each node's CPU is, and the baseline.</summary>
public sealed record ClusterAnalysis(
    ClusterMembership Membership,
    IReadOnlyList<NodeFacts> Facts,
    ClusterBaseline Baseline,
    string SourceDescription);
