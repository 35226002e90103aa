using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Application.CustomModel;

/// <summary>
/// What <c>baseline --custom-model</c> found and did: the cluster; the model and how a guest using it is judged
/// (null when <see cref="NodesUnread"/>); what cpu-models.conf holds now (<see cref="Action"/>: create, replace or
/// unchanged); the plan made (null when nothing is to be written or the models could not be read), and with
/// <c>--apply</c> what writing it gave.
/// </summary>
public sealed record CustomModelPlanResult(ClusterAnalysis Cluster, string Name)
{
    /// <summary>Some nodes' CPUs could not be read, and a partial answer was not asked for: no model was built.</summary>
    public bool NodesUnread { get; init; }

    public ClusterCpuModel? Model { get; init; }

    public GuestVerdict? Verdict { get; init; }

    /// <summary>create, replace or unchanged.</summary>
    public string Action { get; init; } = "create";

    /// <summary>The section of that name cpu-models.conf holds now (null when none).</summary>
    public string? Existing { get; init; }

    public CustomModelPlan? Plan { get; init; }

    /// <summary>Where the model is written (null when read-only: a snapshot, or neither the API nor a node).</summary>
    public string? TargetDescription { get; init; }

    /// <summary>Why the custom models could not be read from the target (null when they were).</summary>
    public string? ReadError { get; init; }

    /// <summary>What writing the plan gave (<c>--apply</c> without an id); null when nothing was written.</summary>
    public WriteResult? Written { get; init; }
}
