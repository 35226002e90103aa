using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Application.Hook;

/// <summary>
/// The hook's decision for one <c>pre-start</c> on this node: the guest's config from /etc/pve, this node's facts and,
/// for a host/max guest migrating inside the cluster, the source node's facts, both from the one node-facts resolver
/// (the same order and rules as <c>scan</c>), judged by Core's <see cref="MigrationAdvisor"/>. Every outcome is a
/// value; what is said and logged, the time budget and <c>hook.fail_closed</c> are the caller's. See
/// docs/ARCHITECTURE.md "One hook decision".
/// </summary>
public sealed class HookDecision(IHookGuestReader guests, INodeFactsSource facts, RunSettings settings, string localNode)
{
    public async Task<HookDecisionResult> DecideAsync(HookDecisionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var vmId = request.VmId;
        var migratedFrom = request.MigratedFrom;
        if (guests.FindVm(vmId) is not { } guest)
        {
            return CouldNotDecide($"VM {vmId}: no config under {guests.NodesPath}");
        }

        if (guest.ConfigError is { } configError)
        {
            return CouldNotDecide(configError.ToString());
        }

        // An incoming remote migration (qm remote-migrate, Proxmox Datacenter Manager) runs pre-start without
        // PVE_MIGRATED_FROM: qemu-server sets it only when migrate_opts has no remote_node (QemuServer.pm
        // vm_start_nolock), and QemuMigrate.pm phase2 sets remote_node for every migration to another cluster. What
        // marks it is the lock: the target's mtunnel 'config' command writes the config with lock: migrate
        // (API2/Qemu.pm mtunnel), and only a start with skiplock, as the mtunnel 'start' command's, gets past that lock
        // to pre-start (QemuServer.pm vm_start). The guest is judged against this node alone, as a migration.
        var fromOtherCluster = migratedFrom is null && guest.Lock == "migrate";
        if (fromOtherCluster && MigrationAdvisor.IsHostCpu(guest))
        {
            var incoming = $"incoming migration of VM {vmId} from another cluster to {localNode}";
            if (settings.HookAllowForeignHostCpu)
            {
                return new HookDecisionResult(HookAnswer.ForeignHostCpuAllowed, incoming, "its CPU type passes the source node's CPU through, which this cluster cannot compare (hook.allow_foreign_host_cpu = true)");
            }

            var why = $"cpu {HostCpuName(guest)} passes the source node's CPU through, and the source is a node of another cluster whose CPU cannot be compared with {localNode}'s (set [hook] allow_foreign_host_cpu = true to allow such moves)";
            return new HookDecisionResult(HookAnswer.ForeignHostCpuRefused, incoming, why) { Verdict = Verdict.HostCpu.Name(), Cpu = guest.Cpu ?? "kvm64" };
        }

        var local = await FactsOf(localNode, cancellationToken).ConfigureAwait(false);
        if (local.Cpu is null)
        {
            return CouldNotDecide(local.Error ?? $"CPU of {localNode} unknown");
        }

        var nodeFacts = new List<NodeFacts> { local };
        var source = migratedFrom ?? guest.Node;
        if (migratedFrom is not null && source != localNode && MigrationAdvisor.IsHostCpu(guest))
        {
            // Only host/max guests need the source's CPU: named models are judged against this node alone.
            var sourceFacts = await FactsOf(source, cancellationToken).ConfigureAwait(false);
            if (sourceFacts.Cpu is null)
            {
                return CouldNotDecide($"CPU of the source node {source} unknown ({sourceFacts.Error ?? "not readable"}); cannot compare host CPUs");
            }

            nodeFacts.Add(sourceFacts with { Node = source });
        }

        var customModels = CustomCpuModels.Empty;
        if (guests.ReadCustomModels() is { } models)
        {
            var parsed = CustomCpuModels.Parse(models.Text, models.Path);
            customModels = parsed.IsSuccess ? parsed.Value : CustomCpuModels.Empty;
        }

        var advisor = new MigrationAdvisor(nodeFacts, CpuCatalog.Default, settings.Policy, customModels);
        var answer = advisor.Check(guest with { Node = source }, localNode);
        var what = migratedFrom is not null ? $"migration of VM {vmId} from {migratedFrom} to {localNode}"
            : fromOtherCluster ? $"incoming migration of VM {vmId} from another cluster to {localNode}"
            : $"start of VM {vmId} on {localNode}";
        var judged = new HookDecisionResult(HookAnswer.Allowed, what, answer.Reason) { Verdict = answer.Verdict.Name(), Cpu = guest.Cpu ?? "kvm64" };
        if (answer.Allowed is null)
        {
            return CouldNotDecide(answer.Reason);
        }

        if (!answer.IsRefused)
        {
            // A warning is not a refusal: the move goes ahead, and the log says what the VM cannot do here afterwards.
            return answer.Warnings.Count > 0 ? judged with { Answer = HookAnswer.AllowedWithWarnings, Warnings = answer.Warnings } : judged;
        }

        if (migratedFrom is null && !fromOtherCluster && !settings.HookBlockUnsafeStart)
        {
            return judged with { Answer = HookAnswer.UnsafeStartNotBlocked };
        }

        var (haNote, diagnostic) = OutsideStrictRule(guest);
        return judged with { Answer = HookAnswer.Refused, HaNote = haNote, Diagnostics = diagnostic is null ? [] : [diagnostic] };
    }

    /// <summary>One node's facts from the resolver; a node name alone: the live source finds its addresses itself.</summary>
    private async Task<NodeFacts> FactsOf(string node, CancellationToken cancellationToken)
    {
        var read = await facts.GetFactsAsync(new ClusterMembership(null, [new ClusterNode(node, null, [])]), cancellationToken).ConfigureAwait(false);
        return read.FirstOrDefault(f => f.Node == node) ?? NodeFacts.Unreadable(node, "no facts", FactsSource.Local);
    }

    private static HookDecisionResult CouldNotDecide(string why) => new(HookAnswer.CouldNotDecide, "", why);

    /// <summary>
    /// A migration target outside a strict HA rule is the HA manager's to refuse, not ours; when we refuse for the CPU
    /// anyway, the message also names the rule, so the administrator sees both reasons at once. The HA files are
    /// read only here, and an unreadable one only loses this remark.
    /// </summary>
    private (string Note, string? Diagnostic) OutsideStrictRule(GuestConfig guest)
    {
        try
        {
            var placement = HaPlacement.Compute(guests.ReadHa(), guests.ListNodes()).For(guest);
            return (placement?.StrictNodes is { } strict && !strict.Contains(localNode)
                ? $"; {localNode} is also outside {placement.Describe()}, which the HA manager enforces"
                : "", null);
        }
#pragma warning disable CA1031 // A remark must never turn into a hook failure.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return ("", $"HA configuration not read: {e.Message}");
        }
    }

    /// <summary>host or max, as the guest names it (in cpu or in args: -cpu).</summary>
    private static string HostCpuName(GuestConfig guest)
    {
        if (guest.Args is { } args && QemuCpuArgument.FindIn(args) is { IsSuccess: true } arg)
        {
            return arg.Value.Model;
        }

        var parsed = GuestCpu.Parse(guest.Cpu ?? "host");
        return parsed.IsSuccess ? parsed.Value.CpuType ?? "host" : "host";
    }
}
