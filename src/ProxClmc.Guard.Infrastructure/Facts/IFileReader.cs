namespace ProxClmc.Guard.Infrastructure.Facts;

/// <summary>Reads a local text file with a size limit (kept behind an interface so local facts can be tested on any tree).</summary>
public interface IFileReader
{
    /// <summary>The file's text; <see cref="FileNotFoundException"/>, <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when it cannot be read.</summary>
    Task<string> ReadTextAsync(string path, long maxBytes, CancellationToken cancellationToken);
}

internal sealed class PhysicalFileReader : IFileReader
{
    public static PhysicalFileReader Instance { get; } = new();

    public async Task<string> ReadTextAsync(string path, long maxBytes, CancellationToken cancellationToken)
    {
        // /proc files report a length of 0, so the limit is enforced while reading, not from the size.
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 64 * 1024, FileOptions.Asynchronous);
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new IOException($"{path} is larger than {maxBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        return new System.Text.UTF8Encoding(false, false).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
