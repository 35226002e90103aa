using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ProxClmc.Guard.Infrastructure.IO;

/// <summary>
/// Replaces a file in one step: readers (node_exporter's textfile collector, a monitoring check reading the JSON
/// report) see the old content or the new one, never a half-written file.
/// <para>
/// The tool runs as root and writes into folders other accounts may own (the Prometheus textfile folder belongs to
/// node_exporter's account). So the folder is opened once and every step happens relative to that handle; the
/// temporary file gets a random name and is created with O_CREAT|O_EXCL|O_NOFOLLOW (a planted file or symlink makes
/// the write fail instead of redirecting it), its mode is set on the open handle (fchmod, whatever the umask), and a
/// folder group- or world-writable without the sticky bit is refused: anyone could swap names in it.
/// </para>
/// </summary>
public static class AtomicFile
{
    public const UnixFileMode Mode0644 =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public const UnixFileMode Mode0640 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    public const UnixFileMode Mode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public const UnixFileMode Mode0755 = Mode0644 | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public static Task WriteAllTextAsync(string path, string content, CancellationToken cancellationToken = default) =>
        WriteAllTextAsync(path, content, Mode0644, cancellationToken);

    public static Task WriteAllTextAsync(string path, string content, UnixFileMode mode, CancellationToken cancellationToken = default) =>
        WriteAllBytesAsync(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(content), mode, cancellationToken);

    public static Task WriteAllBytesAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        WriteAllBytesAsync(path, content, Mode0644, cancellationToken);

    /// <summary>
    /// Writes a temporary file next to <paramref name="path"/>, flushes it to disk (fsync), sets <paramref name="mode"/>
    /// and renames it over the target. rename(2) within one directory is atomic; a temporary file elsewhere could sit on
    /// another file system, where the move would become a copy.
    /// </summary>
    public static Task WriteAllBytesAsync(string path, ReadOnlyMemory<byte> content, UnixFileMode mode, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        WriteAllBytes(path, content.Span, mode);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The synchronous form of <see cref="WriteAllBytesAsync(string, ReadOnlyMemory{byte}, UnixFileMode, CancellationToken)"/>.
    /// <paramref name="durable"/> false skips the fsync before the rename, for a cache the next run rebuilds: the
    /// replacement stays atomic for readers, only a power loss can lose the write.
    /// </summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content, UnixFileMode mode, bool durable = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath) ?? throw new IOException($"{path}: no parent directory");
        var name = Path.GetFileName(fullPath);
        if (!Posix.IsSupported)
        {
            WriteByPath(fullPath, content);
            return;
        }

        using var folder = OpenWritableDirectory(directory);

        // Starts with a dot and ends in .tmp: node_exporter only reads *.prom, and globbing tools skip dot files.
        var temporary = $".{name}.{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12))}.tmp";
        try
        {
            using (var handle = Posix.CreateNew(folder, temporary, mode, Path.Combine(directory, temporary)))
            using (var stream = new FileStream(handle, FileAccess.Write, bufferSize: 1))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: durable);
            }

            // The directory is not fsynced: readers only need the rename to be atomic, and after a power loss the
            // previous file (or none) is as good as the new one; the next run writes it again.
            Posix.RenameAt(folder, temporary, name, fullPath);
        }
        catch
        {
            Posix.TryUnlinkAt(folder, temporary);
            throw;
        }
    }

    /// <summary>
    /// Opens <paramref name="directory"/> for writing files into it, from <c>/</c> down without following a symlink at
    /// any component, refusing one that is group- or world-writable without the sticky bit (any local user could
    /// rename, replace or plant names there). <paramref name="create"/> makes missing folders with that mode.
    /// </summary>
    public static SafeFileHandle OpenWritableDirectory(string directory, UnixFileMode? create = null)
    {
        var handle = Posix.OpenDirectoryWithoutLinks(directory, create);
        try
        {
            RequireNotWritableByOthers(handle, directory);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public static void RequireNotWritableByOthers(SafeFileHandle directory, string display)
    {
        var status = Posix.Stat(directory, display);
        if (status.IsGroupOrWorldWritable && !status.IsSticky)
        {
            throw new UnsafeLocationException(
                $"{display}: folder is writable by group or others (mode {status.OctalPermissions}) without the sticky bit; refusing to write into it (chmod go-w {display})");
        }
    }

    private static void WriteByPath(string fullPath, ReadOnlySpan<byte> content)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(temporary, content.ToArray());
        File.Move(temporary, fullPath, overwrite: true);
    }
}
