using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Compliance;

namespace ProxClmc.Guard.Application.Check;

/// <summary>
/// <c>check &lt;vmid&gt; [--target node]</c>: scans the cluster and asks Core's <see cref="MigrationAdvisor"/> whether
/// the VM can run on each node (or on the one target), as the hook would judge the migration there.
/// </summary>
public static class CheckUseCase
{
    /// <exception cref="InvalidRequestException">No such guest, or no such target node.</exception>
    public static async Task<CheckResult> CheckAsync(GuardPipeline pipeline, CheckRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(request);
        var result = await pipeline.ScanAsync(cancellationToken).ConfigureAwait(false);
        var vmId = request.VmId;
        var target = request.Target;
        var guest = result.Inventory.Guests.FirstOrDefault(g => g.VmId == vmId)
            ?? throw new InvalidRequestException($"VM {vmId}: no such guest in the cluster ({result.Cluster.SourceDescription})"); // like scan --vmid: a typo is not "unknown"
        var advisor = Advisor(pipeline, result);
        var nodes = target is null ? result.Cluster.Membership.Nodes.Select(n => n.Name).ToList() : [target];
        if (target is not null && !advisor.Nodes.Contains(target))
        {
            throw new InvalidRequestException($"--target {target}: no such node ({string.Join(", ", advisor.Nodes)})");
        }

        var answers = nodes.Select(n => advisor.Check(guest, n)).ToList();
        var placement = result.Ha.For(guest);

        // Without --target, nodes outside a strict HA rule are not places the VM can go: they do not count.
        var judged = target is null && placement?.StrictNodes is { } strict ? answers.Where(a => strict.Contains(a.Target)).ToList() : answers;
        return new CheckResult(result, guest, answers)
        {
            Verdict = result.Report.Verdicts.FirstOrDefault(v => v.Guest.VmId == vmId),
            Placement = placement,
            Refused = judged.Where(a => a.IsRefused).Select(a => a.Target).ToList(),
            Unknown = judged.Where(a => a.Allowed is null).Select(a => a.Target).ToList(),
            Unverified = judged.Where(a => a.Allowed == true && a.Verdict == Verdict.Unverified).Select(a => a.Target).ToList(),
            Warned = judged.Where(a => a.Allowed == true && a.Warnings.Count > 0).ToList(),
        };
    }

    /// <summary>Judges a guest against one node with the scan's facts, catalog, policy and custom models.</summary>
    public static MigrationAdvisor Advisor(GuardPipeline pipeline, ScanResult result)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(result);
        return new(result.Cluster.Facts, pipeline.Catalog, pipeline.Settings.Policy, result.CustomModels);
    }
}
