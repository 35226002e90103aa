using ProxClmc.Guard.Application.Check;
using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;

namespace ProxClmc.Guard.Application.Evacuate;

/// <summary>
/// <c>check --evacuate node</c>: scans the cluster, judges each VM of the node against every candidate node, and
/// plays HA maintenance mode (Core's <see cref="HaMaintenance"/>) with those answers.
/// </summary>
public static class EvacuateUseCase
{
    /// <exception cref="InvalidRequestException">No such node, no such target, or the target is the node itself.</exception>
    public static async Task<EvacuateResult> EvacuateAsync(GuardPipeline pipeline, EvacuateRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(request);
        var node = request.Node;
        var target = request.Target;
        var result = await pipeline.ScanAsync(cancellationToken).ConfigureAwait(false);
        var advisor = CheckUseCase.Advisor(pipeline, result);
        if (!advisor.Nodes.Contains(node))
        {
            throw new InvalidRequestException($"--evacuate {node}: no such node ({string.Join(", ", advisor.Nodes)})");
        }

        if (target is not null && !advisor.Nodes.Contains(target))
        {
            throw new InvalidRequestException($"--target {target}: no such node ({string.Join(", ", advisor.Nodes)})");
        }

        if (target == node)
        {
            throw new InvalidRequestException($"--target {target}: that is the node being evacuated");
        }

        var others = result.Cluster.Membership.Nodes.Select(n => n.Name).Where(n => n != node && (target is null || n == target)).ToList();
        var onNode = result.Inventory.Guests.Where(g => g.Node == node).OrderBy(g => g.VmId).ToList();
        var ignored = result.Report.Verdicts.Where(v => v.Guest.Node == node && v.Verdict == Verdict.Ignored).Select(v => v.Guest.VmId).ToHashSet();
        var guests = onNode.Where(g => g.Type == GuestType.Qemu && !ignored.Contains(g.VmId)).ToList();
        var containers = onNode.Where(g => g.Type == GuestType.Lxc).Select(g => g.VmId).ToList();
        var skippedVms = onNode.Where(g => g.Type == GuestType.Qemu && ignored.Contains(g.VmId)).Select(g => g.VmId).ToList();
        var capable = new Dictionary<(int, string), bool?>();
        var plan = guests.Select(g => (Guest: g, Answers: others.Select(n => advisor.Check(g, n)).ToList())).ToList();
        foreach (var (guest, answers) in plan)
        {
            foreach (var a in answers)
            {
                capable[(guest.VmId, a.Target)] = a.Allowed;
            }
        }

        // A strict HA rule: nodes outside it are no target at all (the HA manager refuses the migration).
        plan = plan.Select(p => result.Ha.For(p.Guest)?.StrictNodes is { } strict
                ? (p.Guest, p.Answers.Select(a => strict.Contains(a.Target) ? a : a with { Allowed = false, Reason = $"outside {result.Ha.For(p.Guest)!.Describe()}" }).ToList())
                : p)
            .ToList();
        var ha = HaMaintenance.Plan(
            node,
            result.Inventory.Guests.Where(g => g.Type == GuestType.Qemu).ToList(),
            result.Ha,
            result.Cluster.Membership.Nodes.Select(n => n.Name).ToList(),
            (g, n) => capable.TryGetValue((g.VmId, n), out var can) ? can : null);

        return new EvacuateResult(result, node)
        {
            Candidates = others,
            Entries = plan.Select(p => new EvacuationEntry(p.Guest, p.Answers, result.Report.Verdicts.FirstOrDefault(v => v.Guest.VmId == p.Guest.VmId))).ToList(),
            Ignored = skippedVms,
            Containers = containers,
            Maintenance = ha,
            HaUnsafe = ha.Where(e => e.IsBlocker || e.IsAtRisk).Select(e => e.Placement.Sid).ToList(),
            Stranded = plan.Where(p => p.Answers.All(a => a.Allowed != true) && p.Answers.All(a => a.Allowed is not null)).Select(p => p.Guest.VmId).ToList(),
            Unknown = plan.Where(p => p.Answers.All(a => a.Allowed != true) && p.Answers.Any(a => a.Allowed is null)).Select(p => p.Guest.VmId).ToList(),
        };
    }
}
