using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Application.Scanning;

/// <summary>The <c>--vmid</c>, <c>--node</c> and <c>--tag</c> filters of <c>scan</c>.</summary>
public sealed record ScanFilter(IReadOnlyList<int> VmIds, IReadOnlyList<string> Nodes, IReadOnlyList<string> Tags)
{
    public static ScanFilter None { get; } = new([], [], []);

    /// <summary>
    /// A filter value that matches nothing is an invalid request (the command's usage error, 64) naming it: a typo in a monitoring check must not
    /// turn into "0 guests, all safe" and stay green.
    /// </summary>
    public void Validate(ScanResult result)
    {
        var guests = result.Inventory.Guests;
        var missingIds = VmIds.Where(id => guests.All(g => g.VmId != id)).Distinct().ToList();
        if (missingIds.Count > 0)
        {
            throw new InvalidRequestException($"--vmid {string.Join(", ", missingIds)}: no such guest in the cluster");
        }

        var nodes = result.Cluster.Membership.Nodes.Select(n => n.Name).Concat(guests.Select(g => g.Node)).ToHashSet(StringComparer.Ordinal);
        var missingNodes = Nodes.Where(n => !nodes.Contains(n)).Distinct().ToList();
        if (missingNodes.Count > 0)
        {
            throw new InvalidRequestException($"--node {string.Join(", ", missingNodes)}: no such node in the cluster ({string.Join(", ", nodes.Order(StringComparer.Ordinal))})");
        }

        // Guests of unreachable nodes are listed without their config, so their tags are unknown: no verdict on tags then.
        var missingTags = result.Inventory.UnreadNodes.Count > 0
            ? []
            : Tags.Where(t => !guests.Any(g => g.Tags.Contains(t, StringComparer.OrdinalIgnoreCase))).Distinct().ToList();
        if (missingTags.Count > 0)
        {
            throw new InvalidRequestException($"--tag {string.Join(", ", missingTags)}: no guest has {(missingTags.Count == 1 ? "this tag" : "these tags")}");
        }

        // Each value matches something, but together they may not (scan --vmid 103 --node pve1 with VM 103 on pve2):
        // still a filter that matches nothing.
        if (result.Inventory.UnreadNodes.Count == 0 && (VmIds.Count > 0 || Nodes.Count > 0 || Tags.Count > 0) && !guests.Any(Matches))
        {
            var given = VmIds.Select(id => "--vmid " + id.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Concat(Nodes.Select(n => "--node " + n))
                .Concat(Tags.Select(t => "--tag " + t));
            var where = VmIds.Count > 0
                ? " (" + string.Join(", ", VmIds.Distinct().Select(id => $"VM {id} is on {string.Join(", ", guests.Where(g => g.VmId == id).Select(g => g.Node).Distinct())}")) + ")"
                : "";
            throw new InvalidRequestException($"{string.Join(' ', given)}: no guest matches these filters together{where}");
        }
    }

    private bool Matches(GuestConfig guest) =>
        (VmIds.Count == 0 || VmIds.Contains(guest.VmId)) &&
        (Nodes.Count == 0 || Nodes.Contains(guest.Node)) &&
        (Tags.Count == 0 || guest.Tags.Any(t => Tags.Contains(t, StringComparer.OrdinalIgnoreCase)));

    public ComplianceReport Apply(ComplianceReport report) =>
        report with
        {
            Verdicts = report.Verdicts.Where(v =>
                (VmIds.Count == 0 || VmIds.Contains(v.Guest.VmId)) &&
                (Nodes.Count == 0 || Nodes.Contains(v.Guest.Node)) &&
                (Tags.Count == 0 || v.Guest.Tags.Any(t => Tags.Contains(t, StringComparer.OrdinalIgnoreCase)))).ToList(),
        };
}
