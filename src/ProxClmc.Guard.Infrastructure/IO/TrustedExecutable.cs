using Microsoft.Win32.SafeHandles;

namespace ProxClmc.Guard.Infrastructure.IO;

/// <summary>
/// A program root runs (a chained hookscript) that nobody can swap between the check and the start. Its folder is
/// reached from <c>/</c> down without following a symlink through folders owned by root and not writable by group or
/// others (<see cref="Posix.OpenTrustedDirectory"/>), the file itself is opened with <c>O_NOFOLLOW</c>, and type,
/// owner, mode and the execute bit are checked on that open handle. The program is then started as
/// <see cref="ExecPath"/>, <c>/proc/self/fd/N</c> of that handle: the kernel runs the very file that was checked,
/// whatever the path names by then. The handle is opened without close-on-exec, so it stays open in the child and
/// a <c>#!</c> script's interpreter can open <c>/proc/self/fd/N</c> too (with close-on-exec, Linux's execve of a
/// script through its descriptor fails with ENOENT).
/// </summary>
public sealed class TrustedExecutable : IDisposable
{
    private readonly SafeFileHandle _handle;

    private TrustedExecutable(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
        ExecPath = "/proc/self/fd/" + handle.DangerousGetHandle().ToInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The absolute path that was opened (for messages).</summary>
    public string Path { get; }

    /// <summary>What to start: the opened file through this process's descriptor, valid while this object lives.</summary>
    public string ExecPath { get; }

    /// <summary>
    /// Opens <paramref name="path"/> for running as root. Throws <see cref="UnsafeLocationException"/> naming the
    /// component when a folder or the file is a symlink, is not owned by root (or this process's user), or is
    /// writable by group or others (a sticky folder excepted), when the file is not a regular file or has no execute
    /// bit; <see cref="IOException"/> when it cannot be opened.
    /// </summary>
    public static TrustedExecutable Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var folder = System.IO.Path.GetDirectoryName(full);
        var name = System.IO.Path.GetFileName(full);
        if (folder is null || name.Length == 0)
        {
            throw new UnsafeLocationException($"{full} is not a file");
        }

        using var directory = Posix.OpenTrustedDirectory(folder);
        var handle = Posix.OpenForExecution(directory, name, full);
        try
        {
            var status = Posix.Stat(handle, full);
            if (!status.IsRegular)
            {
                throw new UnsafeLocationException($"{full} is a {status.TypeName}, not a regular file");
            }

            if (Posix.WhyNotTrusted(full, status) is { } problem)
            {
                throw new UnsafeLocationException(problem);
            }

            if ((status.Mode & 0x49) == 0)
            {
                throw new UnsafeLocationException($"{full} is not executable (mode {status.OctalPermissions})");
            }

            return new TrustedExecutable(full, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void Dispose() => _handle.Dispose();
}
