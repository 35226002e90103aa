namespace ProxClmc.Guard.Application.Ports;

/// <summary>
/// The files a use case reads and writes, bounded and safe as root: reads refuse files over their limit and anything
/// but a regular file; writes replace a file whole (temporary file and rename), never through a link.
/// </summary>
public interface IFileStore
{
    bool FileExists(string path);

    bool DirectoryExists(string path);

    /// <summary>Reads a text file of at most <paramref name="maxBytes"/>; a larger one fails with an <see cref="IOException"/>.</summary>
    string ReadAllText(string path, int maxBytes);

    byte[] ReadAllBytes(string path, int maxBytes);

    IEnumerable<string> EnumerateDirectories(string path);

    IEnumerable<string> EnumerateFiles(string path, string pattern);

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/>: readers see the old file or the new one, never half of it.</summary>
    Task WriteAllBytesAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>As <see cref="WriteAllBytesAsync"/>, for UTF-8 text.</summary>
    Task WriteAllTextAsync(string path, string content, CancellationToken cancellationToken);
}
