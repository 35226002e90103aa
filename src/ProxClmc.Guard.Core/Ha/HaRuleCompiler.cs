namespace ProxClmc.Guard.Core.Ha;

/// <summary>A rule the HA manager drops before it schedules anything, with Proxmox's reasons (its own words).</summary>
public sealed record HaRuleDrop(HaRule Rule, IReadOnlyList<string> Reasons)
{
    /// <summary>
    /// "rule 'pin-a' is ignored (conflicts): resources are in multiple node affinity rules": the state
    /// <c>ha-manager rules config</c> shows for it and the reason its <c>errors</c> give.
    /// </summary>
    public string Describe() => $"HA rule '{Rule.Id}' is ignored (conflicts): {string.Join(", ", Reasons.Distinct(StringComparer.Ordinal))}";
}

/// <summary>A resource the HA manager adds to a node-affinity rule because a positive rule keeps it with that rule's resources.</summary>
public sealed record HaInferredAffinity(string Sid, HaRule NodeRule, HaRule PositiveRule);

/// <summary>The rules as the HA manager uses them: what it kept and transformed, what it dropped, and what it inferred.</summary>
public sealed record HaCompiledRules(IReadOnlyList<HaRule> Rules, IReadOnlyList<HaRuleDrop> Dropped, IReadOnlyList<HaInferredAffinity> Inferred);

/// <summary>
/// The HA manager's rule compilation, followed from pve-ha-manager b71218f (5.2.0). Before it uses ha/rules.cfg, the
/// CRM migrates groups into rules (Groups.pm migrate_groups_to_rules), runs every feasibility check on the enabled
/// rules, drops every rule any check blames (Rules.pm check_feasibility, transform; the log says "Drop rule 'x',
/// because ..."), then transforms what is left: connected positive resource-affinity rules become one, implicit
/// negative rules spread a negative relation over a positive group, and a positive group's resources join the
/// node-affinity rule of any one of them (Manager.pm manage, Config.pm read_and_compile_rules_config). The API's
/// rules index runs the same checks and gives each blamed rule its messages as <c>errors</c> (API2/HA/Rules.pm
/// index), which <c>ha-manager rules config</c> shows as the state "ignored (conflicts)".
/// </summary>
public static class HaRuleCompiler
{
    /// <summary>
    /// Groups.pm migrate_groups_to_rules: each existing group some resource names becomes the node-affinity rule
    /// <c>ha-group-&lt;group&gt;</c> of those resources, strict when the group is restricted; it replaces a rule of
    /// that id. Returns the rules with the migrated groups, and the group each migrated rule came from.
    /// </summary>
    public static (List<HaRule> Rules, Dictionary<string, string> GroupOf) MigrateGroups(HaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var rules = config.Rules.ToList();
        var groupOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in config.Groups)
        {
            var members = config.Resources.Where(r => r.Group == group.Name).Select(r => r.Sid).ToList();
            if (members.Count == 0)
            {
                continue;
            }

            var id = "ha-group-" + group.Name;
            rules.RemoveAll(r => r.Id == id);
            rules.Add(new HaRule
            {
                Id = id,
                Type = HaRuleType.NodeAffinity,
                Resources = members,
                Nodes = group.Nodes,
                Strict = group.Restricted,
                Origin = $"HA group '{group.Name}'",
            });
            groupOf[id] = group.Name;
        }

        // Through the PVE 9 API an unmigrated group is listed as the rule ha-group-<name> (Rules.pm index applies
        // the same migration before answering): it still names the group.
        foreach (var rule in rules.Where(r => r.Type == HaRuleType.NodeAffinity && r.Id.StartsWith("ha-group-", StringComparison.Ordinal) && !groupOf.ContainsKey(r.Id)))
        {
            var name = rule.Id["ha-group-".Length..];
            if (config.Resources.Any(r => r.Group == name && rule.Resources.Contains(r.Sid)))
            {
                groupOf[rule.Id] = name;
            }
        }

        return (rules, groupOf);
    }

    /// <summary>
    /// Rules.pm check_feasibility: every check on the enabled rules, in the order the HA manager runs them (the
    /// node-affinity plugin's, the resource-affinity plugin's, then the checks between both). Returns, per blamed
    /// rule id, Proxmox's messages in the order they were found. <paramref name="nodes"/> are the cluster's nodes.
    /// </summary>
    public static IReadOnlyDictionary<string, List<string>> CheckFeasibility(IReadOnlyList<HaRule> rules, IReadOnlyList<string> nodes)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(nodes);
        var enabled = rules.Where(r => !r.Disabled).ToList();
        var nodeRules = enabled.Where(r => r.Type == HaRuleType.NodeAffinity).ToList();
        var affinityRules = enabled.Where(r => r.Type == HaRuleType.ResourceAffinity).ToList();
        var positive = affinityRules.Where(r => r.Positive).ToList();
        var negative = affinityRules.Where(r => !r.Positive).ToList();
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);

        void Blame(string id, string message)
        {
            if (!errors.TryGetValue(id, out var list))
            {
                errors[id] = list = [];
            }

            list.Add(message);
        }

        // Rules/NodeAffinity.pm check_single_resource_reference: a resource in two node-affinity rules.
        foreach (var (id, sid) in nodeRules
                     .SelectMany(r => r.Resources.Select(sid => (r.Id, Sid: sid)))
                     .GroupBy(x => x.Sid, StringComparer.Ordinal)
                     .Where(g => g.Count() > 1)
                     .SelectMany(g => g)
                     .OrderBy(x => x.Id, StringComparer.Ordinal).ThenBy(x => x.Sid, StringComparer.Ordinal))
        {
            Blame(id, $"resource '{sid}' is already used in another node affinity rule");
        }

        // Rules/ResourceAffinity.pm check_resource_affinity_resources_count: fewer than two resources.
        foreach (var rule in affinityRules.Where(r => r.Resources.Count < 2).OrderBy(r => r.Id, StringComparer.Ordinal))
        {
            Blame(rule.Id, "rule is ineffective as there are less than two resources");
        }

        // check_negative_resource_affinity_resources_count: more resources to keep apart than the cluster has nodes.
        foreach (var rule in negative.Where(r => r.Resources.Count > nodes.Count).OrderBy(r => r.Id, StringComparer.Ordinal))
        {
            Blame(rule.Id, "rule defines more resources than available nodes");
        }

        // check_inter_resource_affinity_rules_consistency: two resources both kept together and kept apart.
        var disjointPositive = FindDisjointResourceSets(positive);
        var conflicts = new List<(string Kind, string Id)>();
        foreach (var (ids, resources) in disjointPositive)
        {
            foreach (var rule in negative.Where(n => n.Resources.Count(resources.Contains) >= 2))
            {
                conflicts.Add(("negative", rule.Id));
                conflicts.AddRange(ids.Select(id => ("positive", id)));
            }
        }

        foreach (var (kind, id) in Sorted(conflicts))
        {
            Blame(id, kind == "positive"
                ? "rule shares two or more resources with a negative resource affinity rule"
                : "rule shares two or more resources with a positive resource affinity rule");
        }

        // Rules.pm check_single_priority_node_affinity_in_resource_affinity_rules: a resource-affinity rule whose
        // resources meet a node-affinity rule with several priorities takes every node-affinity rule it meets along.
        conflicts.Clear();
        foreach (var rule in affinityRules)
        {
            var paired = nodeRules.Where(n => n.Resources.Any(rule.Resources.Contains)).ToList();
            if (paired.Any(n => n.Nodes.Select(p => p.Priority).Distinct().Count() > 1))
            {
                conflicts.Add(("resource-affinity", rule.Id));
                conflicts.AddRange(paired.Select(n => ("node-affinity", n.Id)));
            }
        }

        foreach (var (kind, id) in Sorted(conflicts))
        {
            Blame(id, kind == "node-affinity"
                ? "resources are in a resource affinity rule and cannot be in a node affinity rule with multiple priorities"
                : "resources are in node affinity rules with multiple priorities");
        }

        // check_single_node_affinity_per_positive_resource_affinity_rule: a group of resources kept together that
        // meets two node-affinity rules.
        conflicts.Clear();
        foreach (var (ids, resources) in disjointPositive)
        {
            var paired = nodeRules.Where(n => n.Resources.Any(resources.Contains)).ToList();
            if (paired.Count > 1)
            {
                conflicts.AddRange(ids.Select(id => ("positive", id)));
                conflicts.AddRange(paired.Select(n => ("node-affinity", n.Id)));
            }
        }

        foreach (var (kind, id) in Sorted(conflicts))
        {
            Blame(id, kind == "positive"
                ? "resources are in multiple node affinity rules"
                : "at least one resource is in a positive resource affinity rule and there are other resources in at least one other node affinity rule already");
        }

        // check_negative_resource_affinity_node_affinity_consistency: the resources of a negative rule that
        // node-affinity rules place have fewer nodes (all nodes those rules list, strict or not) than resources.
        conflicts.Clear();
        foreach (var rule in negative)
        {
            var located = new HashSet<string>(StringComparer.Ordinal);
            var allowed = new HashSet<string>(StringComparer.Ordinal);
            var paired = new List<string>();
            foreach (var nodeRule in nodeRules)
            {
                var common = rule.Resources.Where(nodeRule.Resources.Contains).ToList();
                if (common.Count < 1)
                {
                    continue;
                }

                located.UnionWith(common);
                allowed.UnionWith(nodeRule.Nodes.Select(n => n.Node));
                paired.Add(nodeRule.Id);
            }

            if (allowed.Count < located.Count)
            {
                conflicts.Add(("negative", rule.Id));
                conflicts.AddRange(paired.Select(id => ("node-affinity", id)));
            }
        }

        foreach (var (kind, id) in Sorted(conflicts))
        {
            Blame(id, kind == "negative"
                ? "two or more resources are restricted to less nodes than available to the resources"
                : "at least one resource is in a negative resource affinity rule and this rule would restrict these to less nodes than available to the resources");
        }

        return errors;
    }

    /// <summary>
    /// Rules.pm transform: drops every rule a check blames, then runs the transforms on the rest. A rule the
    /// Proxmox API itself marked with <c>errors</c> (<paramref name="reportedErrors"/>) is dropped too, with the
    /// API's words, should a newer HA manager check more than this port does.
    /// </summary>
    public static HaCompiledRules Compile(IReadOnlyList<HaRule> rules, IReadOnlyList<string> nodes, IReadOnlyDictionary<string, string>? reportedErrors = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var errors = CheckFeasibility(rules, nodes);
        var dropped = new List<HaRuleDrop>();
        var kept = new List<HaRule>();
        foreach (var rule in rules)
        {
            if (!rule.Disabled && errors.TryGetValue(rule.Id, out var reasons))
            {
                dropped.Add(new HaRuleDrop(rule, reasons));
            }
            else if (!rule.Disabled && reportedErrors?.GetValueOrDefault(rule.Id) is { } reported)
            {
                dropped.Add(new HaRuleDrop(rule, [reported]));
            }
            else
            {
                kept.Add(rule);
            }
        }

        dropped.Sort((a, b) => string.CompareOrdinal(a.Rule.Id, b.Rule.Id));
        var merged = MergeConnectedPositiveRules(kept);
        var withNegatives = CreateImplicitNegativeRules(merged);
        var (final, inferred) = CreateImplicitPositiveNodeAffinity(withNegatives);
        return new HaCompiledRules(final, dropped, inferred);
    }

    /// <summary>
    /// Rules/Helpers.pm find_disjoint_rules_resource_sets: rules taken in the order of their lowest resource id
    /// (then by id), each joined to the first set it shares a resource with, else starting a new set. It is not a
    /// full closure (a rule joins one set only), and neither is this.
    /// </summary>
    private static List<(List<string> Ids, HashSet<string> Resources)> FindDisjointResourceSets(IEnumerable<HaRule> rules)
    {
        var sets = new List<(List<string> Ids, HashSet<string> Resources)>();
        foreach (var rule in rules
                     .OrderBy(r => r.Id, StringComparer.Ordinal)
                     .OrderBy(r => r.Resources.Order(StringComparer.Ordinal).FirstOrDefault() ?? "", StringComparer.Ordinal))
        {
            var found = sets.FindIndex(s => rule.Resources.Any(s.Resources.Contains));
            if (found >= 0)
            {
                sets[found].Ids.Add(rule.Id);
                sets[found].Resources.UnionWith(rule.Resources);
            }
            else
            {
                sets.Add(([rule.Id], new HashSet<string>(rule.Resources, StringComparer.Ordinal)));
            }
        }

        return sets;
    }

    /// <summary>
    /// Rules/ResourceAffinity.pm merge_connected_positive_resource_affinity_rules: enabled positive rules that share
    /// resources become one rule <c>_merged-&lt;id&gt;-&lt;id&gt;</c> in the place of the first.
    /// </summary>
    private static List<HaRule> MergeConnectedPositiveRules(List<HaRule> rules)
    {
        var result = rules.ToList();
        foreach (var (ids, resources) in FindDisjointResourceSets(rules.Where(r => !r.Disabled && r.Type == HaRuleType.ResourceAffinity && r.Positive)))
        {
            if (ids.Count < 2)
            {
                continue;
            }

            var at = result.FindIndex(r => r.Id == ids[0]);
            var mergedRule = new HaRule
            {
                Id = "_merged-" + string.Join("-", ids),
                Type = HaRuleType.ResourceAffinity,
                Positive = true,
                Resources = resources.Order(StringComparer.Ordinal).ToList(),
                MadeFrom = ids,
                Origin = "merged by the HA manager",
            };
            result[at] = mergedRule;
            result.RemoveAll(r => r != mergedRule && ids.Contains(r.Id));
        }

        return result;
    }

    /// <summary>
    /// Rules/ResourceAffinity.pm create_implicit_negative_resource_affinity_rules: when a resource of a positive
    /// group must be kept apart from another resource, so must every resource of the group
    /// (<c>_implicit-negative-&lt;positive&gt;-&lt;sid&gt;-&lt;other&gt;</c>).
    /// </summary>
    private static List<HaRule> CreateImplicitNegativeRules(List<HaRule> rules)
    {
        var result = rules.ToList();
        var enabled = rules.Where(r => !r.Disabled && r.Type == HaRuleType.ResourceAffinity).ToList();
        var negative = enabled.Where(r => !r.Positive).ToList();
        foreach (var positive in enabled.Where(r => r.Positive))
        {
            // separated[csid] = the resources of the positive rule that a negative rule keeps apart from csid.
            var separated = new SortedDictionary<string, HashSet<string>>(StringComparer.Ordinal);
            var because = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var rule in negative)
            {
                foreach (var sid in positive.Resources.Where(rule.Resources.Contains))
                {
                    foreach (var csid in rule.Resources.Where(c => c != sid))
                    {
                        if (!separated.TryGetValue(csid, out var set))
                        {
                            separated[csid] = set = new HashSet<string>(StringComparer.Ordinal);
                            because[csid] = [];
                        }

                        set.Add(sid);
                        if (!because[csid].Contains(rule.Id))
                        {
                            because[csid].Add(rule.Id);
                        }
                    }
                }
            }

            foreach (var (csid, from) in separated)
            {
                foreach (var sid in positive.Resources.Where(s => !from.Contains(s)).Order(StringComparer.Ordinal))
                {
                    result.Add(new HaRule
                    {
                        Id = $"_implicit-negative-{positive.Id}-{sid}-{csid}",
                        Type = HaRuleType.ResourceAffinity,
                        Positive = false,
                        Resources = [sid, csid],
                        MadeFrom = [.. Names(positive), .. because[csid]],
                        Origin = "inferred by the HA manager",
                    });
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Rules.pm create_implicit_positive_resource_affinity_node_affinity_rules: every resource of a positive group
    /// joins the node-affinity rule any of them is in (the checks left at most one per group; this takes the first
    /// by id where Proxmox takes whichever its hash gives first).
    /// </summary>
    private static (List<HaRule> Rules, List<HaInferredAffinity> Inferred) CreateImplicitPositiveNodeAffinity(List<HaRule> rules)
    {
        var result = rules.ToList();
        var inferred = new List<HaInferredAffinity>();
        foreach (var positive in rules.Where(r => !r.Disabled && r.Type == HaRuleType.ResourceAffinity && r.Positive))
        {
            var at = result
                .Select((r, i) => (Rule: r, Index: i))
                .Where(x => !x.Rule.Disabled && x.Rule.Type == HaRuleType.NodeAffinity && x.Rule.Resources.Any(positive.Resources.Contains))
                .OrderBy(x => x.Rule.Id, StringComparer.Ordinal)
                .Select(x => x.Index)
                .DefaultIfEmpty(-1)
                .First();
            if (at < 0)
            {
                continue;
            }

            var nodeRule = result[at];
            var added = positive.Resources.Where(s => !nodeRule.Resources.Contains(s)).ToList();
            if (added.Count == 0)
            {
                continue;
            }

            result[at] = nodeRule with { Resources = [.. nodeRule.Resources, .. added] };
            inferred.AddRange(added.Select(sid => new HaInferredAffinity(sid, nodeRule, positive)));
        }

        // Several positive groups may grow one node-affinity rule: each inference names the rule as it ends up.
        var final = result.Where(r => r.Type == HaRuleType.NodeAffinity).GroupBy(r => r.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        inferred = inferred.Select(i => i with { NodeRule = final[i.NodeRule.Id] }).ToList();
        return (result, inferred);
    }

    /// <summary>The rules of the configuration a compiled rule stands for (itself, or those merged into it).</summary>
    public static IReadOnlyList<string> Names(HaRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return rule.MadeFrom.Count > 0 && rule.Id.StartsWith("_merged-", StringComparison.Ordinal) ? rule.MadeFrom : [rule.Id];
    }

    private static IEnumerable<(string Kind, string Id)> Sorted(List<(string Kind, string Id)> conflicts) =>
        conflicts.OrderBy(c => c.Kind, StringComparer.Ordinal).ThenBy(c => c.Id, StringComparer.Ordinal);
}
