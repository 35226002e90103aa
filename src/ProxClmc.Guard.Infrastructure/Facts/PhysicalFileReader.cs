namespace ProxClmc.Guard.Infrastructure.Facts;

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
