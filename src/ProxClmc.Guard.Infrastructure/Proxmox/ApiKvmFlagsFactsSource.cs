using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Facts;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// Adds Proxmox's per-node KVM flags (<c>GET /cluster/qemu/cpu-flags?accel=kvm</c>, pve-manager 9.1.15+) to every
/// readable node that has no QEMU answer of its own (no fresh published facts, not this host). One request per run,
/// only when such a node exists. A Proxmox without the endpoint (501, or 404 through a proxy), a caller without
/// Sys.Audit on /nodes or a Mapping privilege on /mapping/cpu (403), or an answer of the wrong shape leaves the facts as
/// they were: the run judges from cpuinfo as before, and <see cref="Notes"/> says why.
/// </summary>
public sealed class ApiKvmFlagsFactsSource(INodeFactsSource inner, ProxmoxClient client, CpuCatalog? catalog = null) : INodeFactsSource
{
    public const string Origin = "api:/cluster/qemu/cpu-flags?accel=kvm";

    private readonly CpuCatalog _catalog = catalog ?? CpuCatalog.Default;
    private readonly List<string> _notes = [];

    /// <summary>One line per run saying whether the KVM flags were used, and for which nodes, or why not.</summary>
    public IReadOnlyList<string> Notes
    {
        get
        {
            lock (_notes)
            {
                return [.. _notes];
            }
        }
    }

    public async Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken)
    {
        var facts = await inner.GetFactsAsync(membership, cancellationToken).ConfigureAwait(false);
        if (!facts.Any(Wants))
        {
            return facts;
        }

        IReadOnlyList<ClusterCpuFlag>? flags;
        try
        {
            flags = await client.GetClusterCpuFlagsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SourceUnavailableException e)
        {
            Note($"KVM flags not used, nodes judged from cpuinfo alone: {e.Message}");
            return facts;
        }

        if (flags is null)
        {
            Note("KVM flags not used, nodes judged from cpuinfo alone: this Proxmox VE has no /cluster/qemu/cpu-flags (added in 9.1.15)");
            return facts;
        }

        var entries = flags.Select(f => new KvmFlagEntry(f.Name, f.SupportedOn)).ToList();
        var used = new List<string>();
        var silent = new List<string>();
        var result = facts.Select(f =>
        {
            if (!Wants(f))
            {
                return f;
            }

            var list = KvmFlagList.ForNode(f.Node, entries, f.Cpu!.Flags, _catalog.QemuFlags, Origin);
            (list is null ? silent : used).Add(f.Node);
            return list is null ? f : f with { KvmFlags = list };
        }).ToList();

        Note(used.Count > 0
            ? $"KVM flags from {Origin} sharpen the cpuinfo judgement of {string.Join(", ", used)}" +
              (silent.Count > 0 ? $"; Proxmox lists no KVM flags for {string.Join(", ", silent)} (pvestatd has not reported them)" : "")
            : $"KVM flags not used: Proxmox lists none for {string.Join(", ", silent)} (pvestatd has not reported them)");
        return result;
    }

    private static bool Wants(NodeFacts facts) => facts.Cpu is not null && facts.Qemu is null && !facts.IsStale;

    private void Note(string text)
    {
        lock (_notes)
        {
            _notes.Clear();
            _notes.Add(text);
        }
    }
}
