using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Core.Ha;

/// <summary>
/// Where the HA manager may put one HA guest: its node-affinity rule (or group) and the nodes it allows, highest
/// priority first.
/// </summary>
public sealed record GuestPlacement
{
    public required string Sid { get; init; }

    public required HaResourceState State { get; init; }

    /// <summary>The node-affinity rule that places it (a group appears as the rule <c>ha-group-&lt;name&gt;</c>, as PVE 9 migrates it), or null.</summary>
    public HaRule? Rule { get; init; }

    /// <summary>The group it came from (PVE 8), or null.</summary>
    public string? Group { get; init; }

    /// <summary>
    /// Set when <see cref="Rule"/> does not name the guest itself: the positive resource-affinity rule that keeps it
    /// with a resource of that rule, so the HA manager applies the rule to it too.
    /// </summary>
    public HaRule? InferredThrough { get; init; }

    /// <summary>Rules naming this guest that the HA manager drops, with its reasons.</summary>
    public IReadOnlyList<HaRuleDrop> IgnoredRules { get; init; } = [];

    /// <summary>Every cluster node the HA manager may use, highest priority first (then by name).</summary>
    public required IReadOnlyList<HaNodePriority> Nodes { get; init; }

    /// <summary>A strict rule (or restricted group) confines the guest to <see cref="Nodes"/>.</summary>
    public bool IsStrict => Rule?.Strict == true;

    /// <summary>The nodes a strict rule allows, or null when the guest may run anywhere.</summary>
    public IReadOnlySet<string>? StrictNodes => IsStrict ? Nodes.Select(n => n.Node).ToHashSet(StringComparer.Ordinal) : null;

    /// <summary>
    /// <c>started</c> and <c>stopped</c> resources are recovered to another node when theirs fails; <c>disabled</c>
    /// ones are not (Resources.pm, state descriptions).
    /// </summary>
    public bool IsRecovered => State is HaResourceState.Started or HaResourceState.Stopped;

    public IReadOnlyList<string> NodeNames => Nodes.Select(n => n.Node).ToList();

    /// <summary>"strict HA rule 'skx-only' (pve3, pve4)", "restricted HA group 'skx' (pve3, pve4)", "non-strict ...".</summary>
    public string Describe()
    {
        if (Rule is null)
        {
            return "no HA rule";
        }

        var ruleNodes = string.Join(", ", Rule.Nodes.OrderByDescending(n => n.Priority).ThenBy(n => n.Node, StringComparer.Ordinal));
        var text = Group is { } group
            ? $"{(Rule.Strict ? "restricted" : "unrestricted")} HA group '{group}' ({ruleNodes})"
            : $"{(Rule.Strict ? "strict" : "non-strict")} HA rule '{Rule.Id}' ({ruleNodes})";
        return InferredThrough is { } positive ? $"{text} via positive {positive.Label}" : text;
    }

    /// <summary>The nodes of the highest priority among <paramref name="online"/>: where the HA scheduler chooses.</summary>
    public IReadOnlyList<string> PreferredAmong(IEnumerable<string> online)
    {
        var set = online.ToHashSet(StringComparer.Ordinal);
        var available = Nodes.Where(n => set.Contains(n.Node)).ToList();
        if (available.Count == 0)
        {
            return [];
        }

        var top = available.Max(n => n.Priority);
        return available.Where(n => n.Priority == top).Select(n => n.Node).Order(StringComparer.Ordinal).ToList();
    }
}

/// <summary>
/// The HA manager's placement rules for every HA guest, compiled the way pve-ha-manager does it (b71218f, see
/// <see cref="HaRuleCompiler"/>): groups become node-affinity rules <c>ha-group-&lt;group&gt;</c> with <c>strict</c>
/// = <c>restricted</c> (Groups.pm migrate_groups_to_rules, also how the PVE 9 API lists them); disabled rules are
/// left out; every rule a feasibility check blames is dropped, and the guard judges as if it were not there
/// (Rules.pm transform); partners of a positive resource-affinity rule follow a partner's node-affinity rule
/// (create_implicit_positive_resource_affinity_node_affinity_rules); a non-strict rule adds every other node at
/// priority -1 (NodeAffinity.pm plugin_compile), a strict one allows only its nodes; a guest without a rule may run
/// on every node (get_node_affinity). Resource-affinity rules keep resources together (positive, connected ones
/// merged) or apart (negative, spread over positive groups).
/// </summary>
public sealed class HaPlacement
{
    private readonly Dictionary<string, GuestPlacement> _bySid = new(StringComparer.Ordinal);
    private readonly List<HaRule> _resourceAffinity = [];
    private List<HaRule> _sourceRules = [];
    private IReadOnlyList<string> _nodes = [];

    public static HaPlacement None { get; } = new();

    private HaPlacement()
    {
    }

    public bool IsEmpty => _bySid.Count == 0;

    /// <summary>Rules the HA manager would drop, and why (one line each).</summary>
    public IReadOnlyList<string> Warnings { get; private init; } = [];

    /// <summary>The rules the HA manager drops, with its reasons.</summary>
    public IReadOnlyList<HaRuleDrop> Dropped { get; private init; } = [];

    public static HaPlacement Compute(HaConfig config, IReadOnlyList<string> clusterNodes)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(clusterNodes);
        if (config.Resources.Count == 0)
        {
            return None;
        }

        var warnings = new List<string>();
        var (rules, groupOf) = HaRuleCompiler.MigrateGroups(config);

        // Through the PVE 9 API a group not yet migrated is listed as the rule ha-group-<name> instead.
        foreach (var resource in config.Resources.Where(r => r.Group is not null && config.Groups.All(g => g.Name != r.Group)
                                                             && config.Rules.All(rule => rule.Id != "ha-group-" + r.Group)))
        {
            warnings.Add($"HA resource {resource.Sid} names group '{resource.Group}', which does not exist: it may run on any node");
        }

        var compiled = HaRuleCompiler.Compile(rules, clusterNodes, config.ReportedErrors);
        foreach (var drop in compiled.Dropped)
        {
            warnings.AddRange(drop.Reasons.Distinct(StringComparer.Ordinal).Select(reason => $"HA rule '{drop.Rule.Id}' is ignored by the HA manager: {reason}"));
        }

        // NodeAffinity.pm plugin_compile: one node-affinity rule per resource (a later one would win; the checks
        // leave at most one).
        var ruleOf = new Dictionary<string, HaRule>(StringComparer.Ordinal);
        foreach (var rule in compiled.Rules.Where(r => !r.Disabled && r.Type == HaRuleType.NodeAffinity))
        {
            foreach (var sid in rule.Resources)
            {
                ruleOf[sid] = rule;
            }
        }

        var placement = new HaPlacement { Warnings = warnings, Dropped = compiled.Dropped, _sourceRules = rules, _nodes = clusterNodes };
        foreach (var resource in config.Resources)
        {
            if (resource.State == HaResourceState.Ignored)
            {
                // "ignored": the HA stack does not touch it at all; it is placed like any other guest.
                continue;
            }

            var rule = ruleOf.GetValueOrDefault(resource.Sid);
            placement._bySid[resource.Sid] = new GuestPlacement
            {
                Sid = resource.Sid,
                State = resource.State,
                Rule = rule,
                Group = rule is not null ? groupOf.GetValueOrDefault(rule.Id) : null,
                InferredThrough = compiled.Inferred.FirstOrDefault(i => i.Sid == resource.Sid && i.NodeRule.Id == rule?.Id)?.PositiveRule,
                IgnoredRules = compiled.Dropped.Where(d => d.Rule.Resources.Contains(resource.Sid)).ToList(),
                Nodes = EffectiveNodes(rule, clusterNodes),
            };
        }

        placement._resourceAffinity.AddRange(compiled.Rules.Where(r => !r.Disabled && r.Type == HaRuleType.ResourceAffinity));
        return placement;
    }

    /// <summary>
    /// What the HA manager would drop if <paramref name="added"/> joined the configuration: one line per rule that
    /// its checks would blame and do not blame now (the added rules themselves, or rules already there).
    /// </summary>
    public IReadOnlyList<string> WouldDrop(IReadOnlyList<HaRule> added)
    {
        ArgumentNullException.ThrowIfNull(added);
        var before = HaRuleCompiler.CheckFeasibility(_sourceRules, _nodes);
        var after = HaRuleCompiler.CheckFeasibility([.. _sourceRules.Where(r => added.All(a => a.Id != r.Id)), .. added], _nodes);
        return after
            .Where(e => !before.ContainsKey(e.Key))
            .OrderBy(e => added.Any(a => a.Id == e.Key) ? 0 : 1).ThenBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => $"the HA manager would drop rule '{e.Key}': {string.Join(", ", e.Value.Distinct(StringComparer.Ordinal))}")
            .ToList();
    }

    private static List<HaNodePriority> EffectiveNodes(HaRule? rule, IReadOnlyList<string> clusterNodes)
    {
        var nodes = new List<HaNodePriority>();
        if (rule is null)
        {
            nodes.AddRange(clusterNodes.Select(n => new HaNodePriority(n, 0)));
        }
        else
        {
            // Nodes of the rule that are not cluster members can never be online: the HA manager skips them.
            nodes.AddRange(rule.Nodes.Where(n => clusterNodes.Contains(n.Node)));
            if (!rule.Strict)
            {
                nodes.AddRange(clusterNodes.Where(n => rule.Nodes.All(r => r.Node != n)).Select(n => new HaNodePriority(n, -1)));
            }
        }

        return nodes.OrderByDescending(n => n.Priority).ThenBy(n => n.Node, StringComparer.Ordinal).ToList();
    }

    /// <summary>The HA placement of a guest, or null when the HA manager does not manage it.</summary>
    public GuestPlacement? For(GuestConfig guest)
    {
        ArgumentNullException.ThrowIfNull(guest);
        return _bySid.Count == 0 ? null : _bySid.GetValueOrDefault(SidOf(guest));
    }

    public static string SidOf(GuestConfig guest) =>
        (guest.Type == GuestType.Lxc ? "ct:" : "vm:") + guest.VmId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Resources a positive resource-affinity rule keeps on the same node as <paramref name="sid"/>.</summary>
    public IReadOnlyList<(string Sid, HaRule Rule)> Together(string sid) => Partners(sid, positive: true);

    /// <summary>Resources a negative resource-affinity rule keeps off the node of <paramref name="sid"/>.</summary>
    public IReadOnlyList<(string Sid, HaRule Rule)> Apart(string sid) => Partners(sid, positive: false);

    private List<(string Sid, HaRule Rule)> Partners(string sid, bool positive) =>
        _resourceAffinity
            .Where(r => r.Positive == positive && r.Resources.Contains(sid))
            .SelectMany(r => r.Resources.Where(s => s != sid && _bySid.ContainsKey(s)).Select(s => (s, r)))
            .ToList();
}
