namespace ProxClmc.Guard.Core.Ha;

/// <summary>The requested state of an HA resource (<c>state</c> in ha/resources.cfg; <c>enabled</c> is <c>started</c>).</summary>
public enum HaResourceState
{
    Started,
    Stopped,
    Disabled,
    Ignored,
}

/// <summary>One node of a node-affinity rule or group, with its priority (higher wins; none given is 0).</summary>
public sealed record HaNodePriority(string Node, int Priority)
{
    public override string ToString() => Priority == 0 ? Node : $"{Node}:{Priority}";
}

/// <summary>One section of ha/resources.cfg: <c>vm: 105</c> is the resource <c>vm:105</c>.</summary>
public sealed record HaResource
{
    /// <summary><c>vm</c> or <c>ct</c>.</summary>
    public required string Type { get; init; }

    public required int VmId { get; init; }

    public string Sid => $"{Type}:{VmId}";

    public HaResourceState State { get; init; } = HaResourceState.Started;

    /// <summary>The HA group (up to PVE 8; PVE 9 migrates groups to node-affinity rules).</summary>
    public string? Group { get; init; }

    public bool Failback { get; init; } = true;
}

/// <summary>One section of ha/groups.cfg (PVE 8 and older).</summary>
public sealed record HaGroup
{
    public required string Name { get; init; }

    public IReadOnlyList<HaNodePriority> Nodes { get; init; } = [];

    /// <summary>Resources of a restricted group may only run on its nodes.</summary>
    public bool Restricted { get; init; }

    public bool NoFailback { get; init; }
}

public enum HaRuleType
{
    NodeAffinity,
    ResourceAffinity,
}

/// <summary>One section of ha/rules.cfg (PVE 9): a node-affinity or a resource-affinity rule.</summary>
public sealed record HaRule
{
    public required string Id { get; init; }

    public required HaRuleType Type { get; init; }

    /// <summary>Resource ids (<c>vm:105</c>, <c>ct:200</c>).</summary>
    public IReadOnlyList<string> Resources { get; init; } = [];

    /// <summary>Node-affinity only.</summary>
    public IReadOnlyList<HaNodePriority> Nodes { get; init; } = [];

    /// <summary>Node-affinity only: strict rules restrict, non-strict ones only prefer.</summary>
    public bool Strict { get; init; }

    /// <summary>Resource-affinity only: true keeps the resources together, false keeps them apart.</summary>
    public bool Positive { get; init; }

    public bool Disabled { get; init; }

    /// <summary>Where the rule came from (<c>file:line</c>, or the group it was made from).</summary>
    public string? Origin { get; init; }

    /// <summary>
    /// For rules the HA manager makes itself: the rules of the configuration it made this one from (merged positive
    /// rules; the positive and negative rules an implicit negative rule comes from).
    /// </summary>
    public IReadOnlyList<string> MadeFrom { get; init; } = [];

    /// <summary>"rule 'x'", or for a rule the HA manager made, "rules 'a' and 'b'" (those it was made from).</summary>
    public string Label => MadeFrom.Count == 0 ? $"rule '{Id}'" : "rules " + string.Join(" and ", MadeFrom.Select(id => $"'{id}'"));

    public string TypeName => Type == HaRuleType.NodeAffinity ? "node-affinity" : "resource-affinity";
}

/// <summary>The cluster's HA configuration: resources, groups (PVE 8) and rules (PVE 9). Empty when HA is not used.</summary>
public sealed record HaConfig
{
    public static HaConfig Empty { get; } = new();

    public IReadOnlyList<HaResource> Resources { get; init; } = [];

    public IReadOnlyList<HaGroup> Groups { get; init; } = [];

    public IReadOnlyList<HaRule> Rules { get; init; } = [];

    /// <summary>
    /// Rules the Proxmox API answered with <c>errors</c> (API2/HA/Rules.pm index): rule id and its messages. Empty
    /// for files, where the guard runs the HA manager's checks itself.
    /// </summary>
    public IReadOnlyDictionary<string, string> ReportedErrors { get; init; } = new Dictionary<string, string>();

    public bool IsEmpty => Resources.Count == 0 && Groups.Count == 0 && Rules.Count == 0;
}
