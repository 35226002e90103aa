namespace ProxClmc.Guard.Application.Ports;

/// <summary>Opens the folder a snapshot is written to: a new one, or an existing empty one that only its owner may use.</summary>
public interface ISnapshotFolders
{
    /// <summary>The folder at <paramref name="path"/>; a path that cannot be one is the requester's to correct.</summary>
    ISnapshotFolder Prepare(string path);
}
