using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;

namespace ProxClmc.Guard.Core.Compliance;

/// <summary>The notes an HA guest's verdict carries: which rule places it, and whether HA recovery can start it.</summary>
public static class HaNotes
{
    public static IEnumerable<GuestNote> For(GuestConfig guest, GuestPlacement? placement, IReadOnlyList<NodeFit> fits)
    {
        ArgumentNullException.ThrowIfNull(guest);
        ArgumentNullException.ThrowIfNull(fits);
        if (placement is null)
        {
            yield break;
        }

        if (placement.Rule is not null)
        {
            var text = placement.IsStrict
                ? $"{placement.Describe()} keeps it on {string.Join(", ", placement.NodeNames)}: judged against those nodes"
                : $"{placement.Describe()} prefers {string.Join(", ", placement.Rule.Nodes.Select(n => n.Node))}; the HA manager may still use any node";
            yield return new GuestNote(GuestNote.HaRule, text);
        }

        // Rules.pm transform drops the rule before the HA manager schedules anything: the guest was judged without it.
        foreach (var drop in placement.IgnoredRules)
        {
            yield return new GuestNote(GuestNote.HaRuleIgnored, $"{drop.Describe()}; judged as if it were not there", IsWarning: true);
        }

        if (!placement.IsRecovered)
        {
            yield break;
        }

        // A node failure restarts the guest elsewhere: a cold start with QEMU's enforce, so a node lacking a flag
        // refuses it and the resource ends in the error state (the guest stays down).
        var allowed = placement.NodeNames.ToHashSet(StringComparer.Ordinal);
        var cannot = fits
            .Where(f => f.CanRun == false && allowed.Contains(f.Node) && f.Node != guest.Node)
            .Select(f => f.Node)
            .ToList();
        if (cannot.Count > 0)
        {
            yield return new GuestNote(
                GuestNote.HaRecovery,
                $"if {guest.Node} fails, the HA manager may restart VM {guest.VmId} on {string.Join(", ", cannot)}, which cannot start it",
                IsWarning: true);
        }
    }
}
