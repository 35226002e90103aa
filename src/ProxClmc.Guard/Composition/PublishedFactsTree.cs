using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Facts;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Composition;

/// <summary>The published facts under one tree (pve_root or a snapshot folder), read as <see cref="PublishedFacts"/> reads them.</summary>
internal sealed class PublishedFactsTree(IFileSystem fileSystem, string root, string? ownWriteFile) : IPublishedFacts
{
    public NodeFacts? TryRead(ClusterNode node, DateTimeOffset now, TimeSpan? maxAge, FactsSource source) =>
        PublishedFacts.TryRead(fileSystem, root, node, now, maxAge, source, out _);

    public NodeFactsDocument? TryReadDocument(string node) => PublishedFacts.TryReadDocument(fileSystem, root, node, out _);

    public bool IsOwnWrite(string node) => PublishedFacts.IsOwnWrite(fileSystem, root, node, ownWriteFile);

    public string Where(string node) => Path.Combine("nodes", node, PublishedFacts.FolderName, PublishedFacts.FileName);
}
