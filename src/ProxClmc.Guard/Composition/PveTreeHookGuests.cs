using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Infrastructure.Snapshot;

namespace ProxClmc.Guard.Composition;

/// <summary>The hook's reads of this node's /etc/pve through <see cref="PveTree"/>: no digest, the decision writes nothing.</summary>
internal sealed class PveTreeHookGuests(PveTree tree, IFileSystem fileSystem) : IHookGuestReader
{
    public string NodesPath => tree.NodesPath;

    public GuestConfig? FindVm(int vmId) =>
        tree.FindVm(vmId) is { } location ? tree.ReadVm(vmId, location.Node, location.Path, withDigest: false) : null;

    public (string Text, string Path)? ReadCustomModels() =>
        fileSystem.FileExists(tree.CustomModelsPath) ? (fileSystem.ReadAllText(tree.CustomModelsPath, FileLimits.ForPmxcfs), tree.CustomModelsPath) : null;

    public HaConfig ReadHa() => tree.ReadHa();

    public IReadOnlyList<string> ListNodes() => tree.ListNodes();
}
