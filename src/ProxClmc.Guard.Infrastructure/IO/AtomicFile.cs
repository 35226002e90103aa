using System.Text;

namespace ProxClmc.Guard.Infrastructure.IO;

/// <summary>
/// Replaces a file in one step: readers (node_exporter's textfile collector, a monitoring check reading the JSON
/// report) see the old content or the new one, never a half-written file.
/// </summary>
public static class AtomicFile
{
    private const UnixFileMode Mode0644 =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static Task WriteAllTextAsync(string path, string content, CancellationToken cancellationToken = default) =>
        WriteAllBytesAsync(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(content), cancellationToken);

    /// <summary>
    /// Writes a temporary file next to <paramref name="path"/>, flushes it to disk (fsync), sets mode 0644 and renames
    /// it over the target. rename(2) within one directory is atomic; a temporary file elsewhere could sit on another
    /// file system, where the move would become a copy.
    /// </summary>
    public static async Task WriteAllBytesAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath) ?? throw new IOException($"{path}: no parent directory");

        // Starts with a dot and ends in .tmp: node_exporter only reads *.prom, and globbing tools skip dot files.
        var temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = Mode0644;
            }

            await using (var stream = new FileStream(temporary, options))
            {
                await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                // The create mode passes through the umask; the report must be readable by node_exporter's user.
                File.SetUnixFileMode(temporary, Mode0644);
            }

            // The directory is not fsynced: readers only need the rename to be atomic, and after a power loss the
            // previous report (or none) is as good as the new one; the next run writes it again.
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string temporary)
    {
        try
        {
            File.Delete(temporary);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
