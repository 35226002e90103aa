using System.Collections.Concurrent;
using System.Text;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// Every guest of the cluster through the API: <c>/cluster/resources?type=vm</c>, then each VM's config with at most
/// <c>api.parallelism</c> reads at once. Containers are listed without reading their config (no CPU model to judge).
/// </summary>
public sealed class ApiGuestSource(ProxmoxClient client) : IGuestSource
{
    public const string CustomCpuModelsOrigin = "api:/cluster/qemu/custom-cpu-models";

    public async Task<GuestInventory> GetGuestsAsync(CancellationToken cancellationToken)
    {
        await RequireVmAuditAsync(cancellationToken).ConfigureAwait(false);
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
                try
                {
                    guests.Add(await ApiGuestReader.ReadAsync(client, vm.Node, vm.VmId, vm, null, ct).ConfigureAwait(false));
                }
                catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is { } api)
                {
                    // The node holding it is offline (595), or it vanished between the listing and the read: list it with the reason.
                    guests.Add(ApiGuestReader.Unreadable(vm, api.IsNodeUnreachable ? $"node {vm.Node} is offline: {api.StatusCode} {api.Reason}" : e.Message));
                }
            }).ConfigureAwait(false);

        var (text, origin) = await ReadCustomModelsAsync(cancellationToken).ConfigureAwait(false);
        var ha = await ApiHaReader.ReadAsync(client, cancellationToken).ConfigureAwait(false);
        return new GuestInventory(guests.OrderBy(g => g.VmId).ToList(), text, origin) { Ha = ha.Config };
    }

    /// <summary>
    /// Proxmox silently leaves out of /cluster/resources every guest the caller may not audit, so a token without
    /// VM.Audit would look like an empty cluster: refuse that with the privilege named.
    /// </summary>
    private async Task RequireVmAuditAsync(CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, IReadOnlySet<string>> permissions;
        try
        {
            permissions = await client.GetPermissionsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is { StatusCode: < 500 })
        {
            return;
        }

        if (!permissions.Any(p => (p.Key == "/" || p.Key == "/vms" || p.Key.StartsWith("/vms/", StringComparison.Ordinal) || p.Key.StartsWith("/pool/", StringComparison.Ordinal))
                                  && p.Value.Contains("VM.Audit")))
        {
            throw new SourceUnavailableException(
                $"API on {client.ActiveUrl.Authority}: Permission check failed (/vms, VM.Audit): {client.Principal} may not see any guest " +
                "(grant it the PVEAuditor role on /, e.g. pveum acl modify / --roles PVEAuditor --tokens ...)");
        }
    }

    private async Task<(string? Text, string? Origin)> ReadCustomModelsAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<CustomCpuModelEntry>? models;
        try
        {
            models = await client.GetCustomCpuModelsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is { StatusCode: 403 })
        {
            return (null, null);
        }

        if (models is null)
        {
            return (null, null);
        }

        return (ToCpuModelsConf(models), CustomCpuModelsOrigin);
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
