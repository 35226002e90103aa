using System.Runtime.InteropServices;
using ProxClmc.Guard.Core.History;
using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Infrastructure.History;

/// <summary>
/// The state file on disk. Read without following a symlink, bounded, and judged by <see cref="ClusterStateJson"/>:
/// anything else (a symlink, a damaged or foreign file, one that cannot be read) is a problem the caller reports once,
/// and the next write replaces it. Written atomically (temporary file and rename in the same folder, never through
/// a symlink): mode 0600, or in pmxcfs the 0640 pmxcfs itself gives every file outside priv/ (it refuses any other
/// chmod there: pve-cluster src/pmxcfs/pmxcfs.c cfs_fuse_chmod, commit 7091d92e).
/// </summary>
public static partial class ClusterStateFile
{
    private const long FuseSuperMagic = 0x65735546;

    /// <summary>The previous state, nothing when the file does not exist, or the problem with it (one line, naming the file).</summary>
    public static StateRead Read(string path, string? clusterName, bool anyCluster = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            if (Posix.IsSupported && Posix.LStat(path) is null)
            {
                return StateRead.Missing;
            }

            if (!Posix.IsSupported && !File.Exists(path))
            {
                return StateRead.Missing;
            }

            byte[] bytes;
            if (Posix.IsSupported)
            {
                using var handle = Posix.OpenRegularForRead(path);
                bytes = Posix.ReadAll(handle, ClusterStateJson.MaxBytes, path);
            }
            else
            {
                bytes = File.ReadAllBytes(path);
            }

            var parsed = anyCluster ? ClusterStateJson.Parse(bytes, path, clusterName, checkCluster: false) : ClusterStateJson.Parse(bytes, path, clusterName);
            return parsed.IsSuccess ? new StateRead(parsed.Value, null) : new StateRead(null, parsed.Error.ToString());
        }
        catch (InputTooLargeException)
        {
            return new StateRead(null, $"{path}: larger than {ClusterStateJson.MaxBytes / 1024} KiB: not a state file of proxclmc-guard");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new StateRead(null, e.Message.StartsWith(path, StringComparison.Ordinal) ? e.Message : $"{path}: {e.Message}");
        }
    }

    /// <summary>
    /// Replaces the state file with <paramref name="state"/>. Creates only its own folder (one level, never through a
    /// symlink): the folder above must exist.
    /// </summary>
    public static void Write(string path, ClusterState state)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full) ?? throw new IOException($"{path}: no parent folder");
        if (Posix.IsSupported && Posix.LStat(folder) is { } status)
        {
            if (!status.IsDirectory)
            {
                throw new IOException($"{folder}: is a {status.TypeName}, not a plain folder; the state was not written");
            }
        }
        else if (!Directory.Exists(folder))
        {
            var parent = Path.GetDirectoryName(folder);
            if (parent is null || !Directory.Exists(parent))
            {
                throw new IOException($"{folder}: no such folder; the state was not written");
            }

            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        AtomicFile.WriteAllBytes(full, ClusterStateJson.Write(state), IsPmxcfs(folder) ? AtomicFile.Mode0640 : AtomicFile.Mode0600);
    }

    /// <summary>pmxcfs is a FUSE file system; a state outside it gets 0600.</summary>
    private static unsafe bool IsPmxcfs(string folder)
    {
        if (!Posix.IsSupported)
        {
            return false;
        }

        // struct statfs is 120 bytes on x86-64 and arm64, f_type first (a long).
        var buffer = stackalloc long[32];
        return StatFs(folder, buffer) == 0 && buffer[0] == FuseSuperMagic;
    }

    [LibraryImport("libc", EntryPoint = "statfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int StatFs(string path, long* buffer);
}
