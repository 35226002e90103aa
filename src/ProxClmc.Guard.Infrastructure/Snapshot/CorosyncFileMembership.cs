using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Infrastructure.Snapshot;

/// <summary>corosync.conf from the first candidate path that exists; none at all is a one-node cluster of this host.</summary>
public sealed class CorosyncFileMembership(IReadOnlyList<string> candidates, IFileSystem fileSystem, string localNode) : IMembershipSource
{
    public Task<ClusterMembership> GetMembershipAsync(CancellationToken cancellationToken)
    {
        foreach (var path in candidates)
        {
            if (fileSystem.FileExists(path))
            {
                var text = fileSystem.ReadAllText(path, FileLimits.ForPmxcfs);
                return Task.FromResult(CorosyncConfig.Parse(text, path).GetValueOrThrow());
            }
        }

        // A Proxmox node that was never joined to a cluster has no corosync.conf: a valid one-node setup.
        return Task.FromResult(ClusterMembership.Standalone(localNode));
    }
}
