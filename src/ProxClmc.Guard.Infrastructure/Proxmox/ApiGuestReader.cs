using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Parsing;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>Reads one VM's CPU-relevant config through the API into a <see cref="GuestConfig"/>.</summary>
internal static class ApiGuestReader
{
    /// <summary>
    /// <c>GET .../pending</c> gives every key's current value, its pending value and pending deletes (and the
    /// digest) in one call. Snapshots are always listed (one request): a rollback followed by deleting the snapshot
    /// leaves the others without a <c>parent</c> line in the main section.
    /// </summary>
    /// <remarks>
    /// Why the listing cannot be skipped for VMs that seem to have no snapshots: the pending answer drops the
    /// snapshot sections (pve-guest-common src/PVE/GuestHelpers.pm, config_with_pending_array, and
    /// AbstractConfig.pm load_current_config for <c>config</c>, commit 4a8f6cbf), /cluster/resources has no snapshot
    /// field, and deleting the snapshot the current state descends from moves <c>parent</c> to that snapshot's own
    /// parent, or removes it when there is none, while other snapshots remain (AbstractConfig.pm snapshot_delete,
    /// unlink_parent, same commit). So a missing <c>parent</c> does not prove that a VM has no snapshots.
    /// </remarks>
    public static async Task<GuestConfig> ReadAsync(ProxmoxClient client, string node, int vmId, ClusterVmResource? resource, string? status, CancellationToken cancellationToken)
    {
        var origin = $"api:/nodes/{node}/qemu/{vmId}";
        var entries = await client.GetVmPendingAsync(node, vmId, cancellationToken).ConfigureAwait(false);
        var (current, pending, deletes) = PendingView.From(entries);
        if (!current.TryGetValue("digest", out var digest))
        {
            digest = (await client.GetVmConfigAsync(node, vmId, current: true, cancellationToken: cancellationToken).ConfigureAwait(false)).Digest;
        }

        var snapshots = new List<GuestSnapshot>();
        foreach (var snapshot in await client.GetVmSnapshotsAsync(node, vmId, cancellationToken).ConfigureAwait(false))
        {
            if (snapshot.Name == "current")
            {
                continue;
            }

            var values = await client.GetVmConfigAsync(node, vmId, snapshot: snapshot.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            snapshots.Add(new GuestSnapshot(snapshot.Name, values.Get("cpu"), values.Get("runningcpu"), snapshot.VmState || values.Get("vmstate") is not null));
        }

        return new GuestConfig
        {
            VmId = vmId,
            Node = node,
            Name = current.GetValueOrDefault("name") ?? resource?.Name,
            Type = GuestType.Qemu,
            Status = status ?? resource?.Status,
            Template = current.GetValueOrDefault("template") is "1" || (resource?.Template ?? false),
            Lock = current.GetValueOrDefault("lock") ?? resource?.Lock,
            Tags = SplitTags(current.GetValueOrDefault("tags") ?? resource?.Tags),
            Cpu = current.GetValueOrDefault("cpu"),
            PendingCpu = pending.GetValueOrDefault("cpu"),
            PendingCpuDelete = deletes.Contains("cpu"),
            RunningCpu = current.GetValueOrDefault("runningcpu"),
            Snapshots = snapshots,
            Args = current.GetValueOrDefault("args"),
            Kvm = current.GetValueOrDefault("kvm") switch
            {
                null => null,
                "0" => false,
                _ => true,
            },
            Hookscript = current.GetValueOrDefault("hookscript"),
            OsType = current.GetValueOrDefault("ostype"),
            Arch = current.GetValueOrDefault("arch"),
            Machine = current.GetValueOrDefault("machine"),
            Digest = digest,
            Origin = origin,
        };
    }

    /// <summary>A guest whose config could not be read: still listed (judged unknown) with the reason.</summary>
    public static GuestConfig Unreadable(ClusterVmResource resource, string reason) => FromResource(resource) with
    {
        ConfigError = new ParseError($"api:/nodes/{resource.Node}/qemu/{resource.VmId}", 0, 0, reason),
    };

    /// <summary>A guest on a node that is down: listed with its last known node and state from /cluster/resources, config not read.</summary>
    public static GuestConfig NotRead(ClusterVmResource resource, string reason) => FromResource(resource) with
    {
        // /cluster/resources has no CPU type (its "cpu" is the CPU usage): the value is unknown until the node is back.
        NotReadReason = reason,
    };

    /// <summary>What /cluster/resources alone says of a guest, without its config.</summary>
    private static GuestConfig FromResource(ClusterVmResource resource) => new()
    {
        VmId = resource.VmId,
        Node = resource.Node,
        Name = resource.Name,
        Type = resource.Type == "lxc" ? GuestType.Lxc : GuestType.Qemu,
        Status = resource.Status,
        Template = resource.Template,
        Lock = resource.Lock,
        Tags = SplitTags(resource.Tags),
        Origin = $"api:/nodes/{resource.Node}/qemu/{resource.VmId}",
    };

    /// <summary>Tags are stored ';'-separated; older versions and hand edits also use ',' or spaces.</summary>
    public static IReadOnlyList<string> SplitTags(string? tags) =>
        string.IsNullOrWhiteSpace(tags) ? [] : tags.Split([';', ',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static bool IsMissingConfig(ProxmoxApiException api) =>
        api.Reason.Contains("does not exist", StringComparison.OrdinalIgnoreCase);
}
