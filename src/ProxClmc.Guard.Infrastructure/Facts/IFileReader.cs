namespace ProxClmc.Guard.Infrastructure.Facts;

/// <summary>Reads a local text file with a size limit (kept behind an interface so local facts can be tested on any tree).</summary>
public interface IFileReader
{
    /// <summary>The file's text; <see cref="FileNotFoundException"/>, <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when it cannot be read.</summary>
    Task<string> ReadTextAsync(string path, long maxBytes, CancellationToken cancellationToken);
}
