using System.Runtime.InteropServices;

namespace ProxClmc.Guard.Infrastructure.IO;

/// <summary>
/// mkdir(2) that says whether this call created the directory: the primitive of pmxcfs's cluster-wide locks
/// (a directory under /etc/pve/priv/lock is held by whoever created it). Directory.CreateDirectory cannot tell.
/// </summary>
public static partial class ExclusiveDirectory
{
    private const int EEXIST = 17;

    /// <summary>True when this call created <paramref name="path"/>; false when it already existed.</summary>
    public static bool TryCreate(string path)
    {
        if (Mkdir(path, Convert.ToUInt32("700", 8)) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == EEXIST ? false : throw new IOException($"{path}: mkdir failed (errno {errno})", errno);
    }

    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mkdir(string path, uint mode);
}
