using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Core.Ha;

/// <summary>What the HA manager does with one HA guest when its node enters maintenance mode.</summary>
public sealed record HaEvacuation
{
    public required GuestConfig Guest { get; init; }

    public required GuestPlacement Placement { get; init; }

    /// <summary>False for resources that are not <c>started</c>: the HA manager only live-migrates running ones away.</summary>
    public bool Moves { get; init; } = true;

    /// <summary>The nodes the HA scheduler chooses among: the highest priority class, after resource affinity.</summary>
    public IReadOnlyList<string> Candidates { get; init; } = [];

    /// <summary>Candidates that cannot run the guest's CPU (or whose facts are missing).</summary>
    public IReadOnlyList<string> IncapableCandidates { get; init; } = [];

    /// <summary>Every allowed node (any priority, maintenance node excluded) that can run it.</summary>
    public IReadOnlyList<string> CapableAllowed { get; init; } = [];

    /// <summary>How resource-affinity rules narrowed the choice, one line each.</summary>
    public IReadOnlyList<string> Constraints { get; init; } = [];

    /// <summary>The HA manager has no capable node to choose: the migration fails or finds no target.</summary>
    public bool IsBlocker => Moves && Candidates.All(IncapableCandidates.Contains);

    /// <summary>Some capable node exists among the candidates, but HA may also pick one that cannot run it.</summary>
    public bool IsAtRisk => Moves && !IsBlocker && IncapableCandidates.Count > 0;

    /// <summary>The node HA picks when only one candidate is left, otherwise null (its usage scores decide).</summary>
    public string? Pick => Candidates.Count == 1 ? Candidates[0] : null;
}

/// <summary>
/// Maintenance mode (<c>ha-manager crm-command node-maintenance enable &lt;node&gt;</c>): the HA manager live-migrates
/// every started HA guest of the node to a node its scheduler picks. Followed from pve-ha-manager b71218f,
/// src/PVE/HA/Manager.pm select_service_node: the node in maintenance is not online for scheduling; the
/// choice is made among the allowed online nodes of the highest priority only (Rules/NodeAffinity.pm
/// get_node_affinity), minus the nodes of resources a negative resource-affinity rule keeps apart, narrowed to
/// the node holding most resources a positive rule keeps together (Rules/ResourceAffinity.pm
/// apply_negative_resource_affinity, apply_positive_resource_affinity); among what is left the lowest usage score
/// wins, ties by node name. HA never checks the CPU: a candidate that cannot run the guest is a failed migration.
/// </summary>
public static class HaMaintenance
{
    /// <param name="canRun">Whether a node can run a guest's CPU: true, false, or null when unknown.</param>
    public static IReadOnlyList<HaEvacuation> Plan(
        string node,
        IReadOnlyList<GuestConfig> guests,
        HaPlacement placement,
        IReadOnlyList<string> clusterNodes,
        Func<GuestConfig, string, bool?> canRun)
    {
        ArgumentNullException.ThrowIfNull(guests);
        ArgumentNullException.ThrowIfNull(placement);
        ArgumentNullException.ThrowIfNull(canRun);
        var online = clusterNodes.Where(n => n != node).ToList();
        var nodeOf = guests.GroupBy(HaPlacement.SidOf, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Node, StringComparer.Ordinal);
        var result = new List<HaEvacuation>();
        foreach (var guest in guests.Where(g => g.Node == node).OrderBy(g => g.VmId))
        {
            if (placement.For(guest) is not { } place)
            {
                continue;
            }

            var allowed = place.Nodes.Select(n => n.Node).Where(online.Contains).ToList();
            var capable = allowed.Where(n => canRun(guest, n) == true).ToList();
            if (place.State != HaResourceState.Started)
            {
                result.Add(new HaEvacuation { Guest = guest, Placement = place, Moves = false, CapableAllowed = capable });
                continue;
            }

            var candidates = place.PreferredAmong(online).ToList();
            var constraints = new List<string>();
            foreach (var (sid, rule) in placement.Apart(place.Sid))
            {
                if (nodeOf.TryGetValue(sid, out var at) && at != node && candidates.Remove(at))
                {
                    constraints.Add($"not {at}: {sid} runs there, and {rule.Label} {Keep(rule)} them apart");
                }
            }

            var together = placement.Together(place.Sid)
                .Where(p => nodeOf.TryGetValue(p.Sid, out var at) && at != node && candidates.Contains(at))
                .GroupBy(p => nodeOf[p.Sid], StringComparer.Ordinal)
                .OrderByDescending(g => g.Count())
                .ThenBy(g => g.Key, StringComparer.Ordinal)
                .FirstOrDefault();
            if (together is not null)
            {
                candidates = [together.Key];
                constraints.Add($"only {together.Key}: {string.Join(", ", together.Select(p => p.Sid))} run{(together.Count() == 1 ? "s" : "")} there, and {together.First().Rule.Label} {Keep(together.First().Rule)} them together");
            }

            result.Add(new HaEvacuation
            {
                Guest = guest,
                Placement = place,
                Candidates = candidates,
                IncapableCandidates = candidates.Where(n => canRun(guest, n) != true).ToList(),
                CapableAllowed = capable,
                Constraints = constraints,
            });
        }

        return result;
    }

    private static string Keep(HaRule rule) => rule.MadeFrom.Count == 0 ? "keeps" : "keep";
}
