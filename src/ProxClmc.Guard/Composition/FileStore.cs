using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Composition;

/// <summary>The file-store port over the bounded reader (<see cref="IFileSystem"/>) and <see cref="AtomicFile"/>.</summary>
internal sealed class FileStore(IFileSystem fileSystem) : IFileStore
{
    public bool FileExists(string path) => fileSystem.FileExists(path);

    public bool DirectoryExists(string path) => fileSystem.DirectoryExists(path);

    public string ReadAllText(string path, int maxBytes) => fileSystem.ReadAllText(path, maxBytes);

    public byte[] ReadAllBytes(string path, int maxBytes) => fileSystem.ReadAllBytes(path, maxBytes);

    public IEnumerable<string> EnumerateDirectories(string path) => fileSystem.EnumerateDirectories(path);

    public IEnumerable<string> EnumerateFiles(string path, string pattern) => fileSystem.EnumerateFiles(path, pattern);

    public Task WriteAllBytesAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        AtomicFile.WriteAllBytesAsync(path, content, cancellationToken);

    public Task WriteAllTextAsync(string path, string content, CancellationToken cancellationToken) =>
        AtomicFile.WriteAllTextAsync(path, content, cancellationToken);
}
