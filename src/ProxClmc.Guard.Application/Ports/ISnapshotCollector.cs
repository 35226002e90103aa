namespace ProxClmc.Guard.Application.Ports;

/// <summary>Reads the cluster from the run's sources (a tree, this node's /etc/pve and SSH, or the API) into a snapshot folder.</summary>
public interface ISnapshotCollector
{
    Task<SnapshotContents> CollectAsync(ISnapshotFolder folder, CancellationToken cancellationToken);
}
