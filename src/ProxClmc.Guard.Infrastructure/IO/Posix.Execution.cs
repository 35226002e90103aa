using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ProxClmc.Guard.Infrastructure.IO;

/// <summary>Opening a program to run it through its descriptor (see <see cref="TrustedExecutable"/>).</summary>
public static partial class Posix
{
    /// <summary>
    /// Opens <paramref name="name"/> inside <paramref name="directory"/> read-only, never through a symlink and never
    /// blocking on a FIFO, and without close-on-exec, so a child started as <c>/proc/self/fd/N</c> inherits it. A
    /// symlink is an <see cref="UnsafeLocationException"/> naming it.
    /// </summary>
    public static SafeFileHandle OpenForExecution(SafeFileHandle directory, string name, string display)
    {
        var fd = OpenAtRetry(Fd(directory), name, ORdOnly | ONoFollow | ONonBlock | ONoCtty, 0);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Eloop && LStatAt(directory, name) is { IsSymlink: true })
            {
                throw new UnsafeLocationException($"{display} is a symbolic link; a file root trusts must be reached without one");
            }

            throw errno == Enoent ? new FileNotFoundException($"{display} does not exist", display) : Error(errno, display);
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Why an opened file root will run is unsafe (owner, group- or world-writable), or null when it is safe.</summary>
    public static string? WhyNotTrusted(string display, FileStatus status) => Untrusted(display, status, isFile: true);
}
