using System.Collections.Concurrent;
using System.Text;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// Every guest of the cluster through the API: <c>/cluster/resources?type=vm</c>, then each VM's config with at most
/// <c>api.parallelism</c> reads at once. Containers are listed without reading their config (no CPU model to judge).
/// Guests on a node that is down (<c>/cluster/status</c>) or stopped answering (a timeout, a 595) are listed as not
/// read, with their last known node, and the rest is answered.
/// </summary>
/// <param name="client">The API client.</param>
/// <param name="localCustomModels">
/// This host's own <c>virtual-guest/cpu-models.conf</c> when it is a Proxmox VE node (<c>cluster.pve_root</c> readable):
/// the text ("" when the node has none) and its path; null on any other host.
/// </param>
public sealed class ApiGuestSource(ProxmoxClient client, Func<(string Text, string Origin)?>? localCustomModels = null) : IGuestSource
{
    public const string CustomCpuModelsOrigin = "api:/cluster/qemu/custom-cpu-models";

    public async Task<GuestInventory> GetGuestsAsync(CancellationToken cancellationToken)
    {
        var permissions = await ReadPermissionsAsync(cancellationToken).ConfigureAwait(false);
        RequireVmAudit(permissions);
        await MarkOfflineNodesAsync(cancellationToken).ConfigureAwait(false);
        var resources = await client.GetVmResourcesAsync(cancellationToken).ConfigureAwait(false);
        var guests = new ConcurrentBag<GuestConfig>();
        foreach (var container in resources.Where(r => r.Type == "lxc"))
        {
            guests.Add(new GuestConfig
            {
                VmId = container.VmId,
                Node = container.Node,
                Name = container.Name,
                Type = GuestType.Lxc,
                Status = container.Status,
                Template = container.Template,
                Lock = container.Lock,
                Tags = ApiGuestReader.SplitTags(container.Tags),
                Origin = $"api:/nodes/{container.Node}/lxc/{container.VmId}",
            });
        }

        await Parallel.ForEachAsync(
            resources.Where(r => r.Type == "qemu"),
            new ParallelOptions { MaxDegreeOfParallelism = client.Parallelism, CancellationToken = cancellationToken },
            async (vm, ct) =>
            {
                if (client.UnreachableReason(vm.Node) is { } down)
                {
                    guests.Add(ApiGuestReader.NotRead(vm, $"node {vm.Node} is unreachable ({down}): config not read"));
                    return;
                }

                try
                {
                    guests.Add(await ApiGuestReader.ReadAsync(client, vm.Node, vm.VmId, vm, null, ct).ConfigureAwait(false));
                }
                catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is { IsNodeUnreachable: true } api)
                {
                    // The node went away (595) or stopped answering (timeout) during the run: list the guest as not read.
                    guests.Add(ApiGuestReader.NotRead(vm, $"node {vm.Node} is unreachable ({api.Reason}): config not read"));
                }
                catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is not null)
                {
                    // It vanished between the listing and the read, or Proxmox refused it: list it with the reason.
                    guests.Add(ApiGuestReader.Unreadable(vm, e.Message));
                }
            }).ConfigureAwait(false);

        var list = guests.OrderBy(g => g.VmId).ToList();
        var (text, origin, unresolved) = await ReadCustomModelsAsync(list, permissions, cancellationToken).ConfigureAwait(false);
        var warnings = new List<string>();
        if (VisibilityWarning(permissions, resources.Count) is { } visibility)
        {
            warnings.Add(visibility);
        }

        var ha = await ApiHaReader.ReadAsync(client, cancellationToken).ConfigureAwait(false);
        return new GuestInventory(list, text, origin)
        {
            UnresolvedCustomModels = unresolved,
            UnreadNodes = client.UnreachableNodes,
            Warnings = warnings,
            Ha = ha.Config,
        };
    }

    /// <summary><c>/access/permissions</c>; null when this Proxmox has none (before 6.2: 501) or refuses it.</summary>
    private async Task<IReadOnlyDictionary<string, IReadOnlySet<string>>?> ReadPermissionsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetPermissionsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is { } api && (api.StatusCode < 500 || api.IsNotImplemented))
        {
            return null;
        }
    }

    /// <summary>
    /// Proxmox silently leaves out of /cluster/resources every guest the caller may not audit, so a token without
    /// VM.Audit would look like an empty cluster: refuse that with the privilege named.
    /// </summary>
    private void RequireVmAudit(IReadOnlyDictionary<string, IReadOnlySet<string>>? permissions)
    {
        if (permissions is not null &&
            !permissions.Any(p => (p.Key == "/" || p.Key == "/vms" || p.Key.StartsWith("/vms/", StringComparison.Ordinal) || p.Key.StartsWith("/pool/", StringComparison.Ordinal))
                                  && p.Value.Contains("VM.Audit")))
        {
            throw new SourceUnavailableException(
                $"API on {client.ActiveUrl.Authority}: Permission check failed (/vms, VM.Audit): {client.Principal} may not see any guest " +
                "(grant it the PVEAuditor role on /, e.g. pveum acl modify / --roles PVEAuditor --tokens ...)");
        }
    }

    /// <summary>VM.Audit only on some guests or pools: the answer covers only what the token sees; say so, with the count.</summary>
    private string? VisibilityWarning(IReadOnlyDictionary<string, IReadOnlySet<string>>? permissions, int visible)
    {
        if (permissions is null || Has(permissions, "/vms", "VM.Audit"))
        {
            return null;
        }

        return $"{client.Principal} has VM.Audit only on some guests or pools, not on /vms or /: the scan covers only the {visible} guest{(visible == 1 ? "" : "s")} it can see " +
               "(grant PVEAuditor on /: pveum acl modify / --roles PVEAuditor --tokens ...)";
    }

    /// <summary>A privilege on a path holds when that path or one above it grants it (ACLs propagate down).</summary>
    private static bool Has(IReadOnlyDictionary<string, IReadOnlySet<string>> permissions, string path, string privilege)
    {
        for (var p = path; ; p = p.LastIndexOf('/') is > 0 and var i ? p[..i] : "/")
        {
            if (permissions.TryGetValue(p, out var privileges) && privileges.Contains(privilege))
            {
                return true;
            }

            if (p == "/")
            {
                return false;
            }
        }
    }

    /// <summary>Nodes the cluster status reports offline get no request at all in this run.</summary>
    private async Task MarkOfflineNodesAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var node in (await client.GetClusterStatusAsync(cancellationToken).ConfigureAwait(false)).Where(e => e is { IsNode: true, Online: false }))
            {
                client.MarkUnreachable(node.Name, "the cluster status reports it offline");
            }
        }
        catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is not null)
        {
            // No Sys.Audit on /: each node's requests tell instead.
        }
    }

    /// <summary>
    /// The custom CPU models, from the best source there is: this node's own cpu-models.conf; else
    /// <c>GET /cluster/qemu/custom-cpu-models</c> (pve-manager 9.1.15+, silently filtered by Mapping privileges);
    /// else (or for a model missing from its answer) <c>GET /nodes/{node}/capabilities/qemu/cpu</c>, whose
    /// <c>custom: 1</c> entries prove a model exists without giving its definition: those guests are unverified.
    /// </summary>
    private async Task<(string? Text, string? Origin, IReadOnlyDictionary<string, string> Unresolved)> ReadCustomModelsAsync(
        IReadOnlyList<GuestConfig> guests, IReadOnlyDictionary<string, IReadOnlySet<string>>? permissions, CancellationToken cancellationToken)
    {
        var none = new Dictionary<string, string>(StringComparer.Ordinal);
        if (localCustomModels?.Invoke() is { } local)
        {
            return (local.Text, local.Origin, none);
        }

        var used = guests.SelectMany(CustomModelsUsed).ToHashSet(StringComparer.Ordinal);
        string? text = null;
        string? origin = null;
        var defined = new HashSet<string>(StringComparer.Ordinal);
        string missingWhy;
        IReadOnlyList<CustomCpuModelEntry>? models;
        try
        {
            models = await client.GetCustomCpuModelsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is { StatusCode: 403 })
        {
            models = null;
        }

        if (models is not null)
        {
            text = ToCpuModelsConf(models);
            origin = CustomCpuModelsOrigin;
            defined.UnionWith(models.Select(m => m.Name));
            missingWhy = $"GET /cluster/qemu/custom-cpu-models does not list it ({client.Principal} needs Mapping.Audit on /mapping/cpu/<name> to see it)";
        }
        else
        {
            missingWhy = "GET /cluster/qemu/custom-cpu-models does not exist before Proxmox VE 9.1.15, so its definition cannot be read through the API " +
                         "(run on a node, or use --from /etc/pve)";
        }

        var missing = used.Where(u => !defined.Contains(u)).ToList();
        if (missing.Count == 0)
        {
            return (text, origin, none);
        }

        // /nodes/{node}/capabilities/qemu/cpu (qemu-server 6.2+, under /capabilities since pve-manager 7.0) lists
        // custom models to Sys.Audit on /nodes (and, after qemu-server 9.1.12, commit 229a32ed, to a Mapping privilege on the model).
        var listed = new HashSet<string>(StringComparer.Ordinal);
        var sawAll = false;
        var node = guests.Select(g => g.Node).FirstOrDefault(n => !client.IsUnreachable(n));
        if (node is not null)
        {
            try
            {
                if (await client.GetQemuCpuModelsAsync(node, cancellationToken).ConfigureAwait(false) is { } entries)
                {
                    listed.UnionWith(entries.Where(e => e.Custom && e.Name.StartsWith("custom-", StringComparison.Ordinal)).Select(e => e.Name["custom-".Length..]));
                    sawAll = permissions is null || Has(permissions, "/nodes", "Sys.Audit");
                }
            }
            catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is not null)
            {
                // Unreachable or refused: the models stay unverified with the reason below.
            }
        }

        var unresolved = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in missing)
        {
            if (listed.Contains(name))
            {
                unresolved[name] = $"GET /nodes/{node}/capabilities/qemu/cpu lists it, but {missingWhy}";
            }
            else if (!sawAll)
            {
                unresolved[name] = $"{client.Principal} cannot list custom models (Sys.Audit on /nodes, or Mapping.Audit on /mapping/cpu/{name}), and {missingWhy}";
            }

            // Listed nowhere although every custom model is visible: it really is undefined (unknown-model).
        }

        return (text, origin, unresolved);
    }

    /// <summary>The bare names of the custom models a guest refers to (cpu, pending cpu, snapshots).</summary>
    private static IEnumerable<string> CustomModelsUsed(GuestConfig guest)
    {
        foreach (var value in new[] { guest.Cpu, guest.PendingCpu }.Concat(guest.Snapshots.Select(s => s.Cpu)))
        {
            if (value is null)
            {
                continue;
            }

            var parsed = GuestCpu.Parse(value, "api");
            if (parsed.IsSuccess && parsed.Value.CpuType is { } type && type.StartsWith("custom-", StringComparison.Ordinal) && type.Length > "custom-".Length)
            {
                yield return type["custom-".Length..];
            }
        }
    }

    /// <summary>The models in /etc/pve/virtual-guest/cpu-models.conf's own format, so one parser serves every source.</summary>
    internal static string ToCpuModelsConf(IEnumerable<CustomCpuModelEntry> models)
    {
        var text = new StringBuilder();
        foreach (var model in models)
        {
            text.Append("cpu-model: ").Append(model.Name).Append('\n');
            foreach (var (key, value) in model.Properties)
            {
                text.Append("    ").Append(key).Append(' ').Append(value.Replace('\n', ' ')).Append('\n');
            }

            text.Append('\n');
        }

        return text.ToString();
    }
}
