using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ProxClmc.Guard.Infrastructure.IO;

/// <summary>
/// The few libc calls that make file handling race-free when others can write a folder we write into, or a tree we
/// read: open relative to an opened directory (<c>openat</c>, <c>mkdirat</c>, <c>renameat</c>), never follow a
/// final symlink (<c>O_NOFOLLOW</c>), never block on a FIFO (<c>O_NONBLOCK</c>), and check type, mode and owner on
/// the opened handle (<c>statx</c> with <c>AT_EMPTY_PATH</c>, <c>fchmod</c>) instead of by path, where a swapped-in
/// symlink would redirect the check. Flag values are Linux's (x86-64 and arm64 differ for two of them); statx's
/// layout is the same on every architecture.
/// </summary>
public static partial class Posix
{
    public const int AtFdCwd = -100;

    private const int ORdOnly = 0;
    private const int OWrOnly = 1;
    private const int OCreat = 0x40;
    private const int OExcl = 0x80;
    private const int ONoCtty = 0x100;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private const int AtEmptyPath = 0x1000;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7FF;
    private const int Eintr = 4;
    private const int Eexist = 17;
    private const int Eloop = 40;
    private const int Enoent = 2;
    private const int Enotdir = 20;

    private static readonly bool Arm = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;

    private static int ODirectory => Arm ? 0x4000 : 0x10000;

    private static int ONoFollow => Arm ? 0x8000 : 0x20000;

    public static bool IsSupported => OperatingSystem.IsLinux();

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenAt(int directory, string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkdirAt(int directory, string path, uint mode);

    [LibraryImport("libc", EntryPoint = "renameat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt(int fromDirectory, string from, int toDirectory, string to);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UnlinkAt(int directory, string path, int flags);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int FChmod(int fd, uint mode);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    /// <summary>struct statx (linux/stat.h): the fields used here, at their fixed offsets; 256 bytes in all.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(20)]
        public uint Uid;

        [FieldOffset(24)]
        public uint Gid;

        [FieldOffset(28)]
        public ushort Mode;

        [FieldOffset(40)]
        public ulong Size;
    }

    /// <summary>The effective user id of this process (root is 0).</summary>
    public static uint EffectiveUserId => IsSupported ? GetEuid() : 0;

    /// <summary>Opens a directory for use with the *At calls. <paramref name="noFollow"/> refuses a symlink as the last component.</summary>
    public static SafeFileHandle OpenDirectory(string path, bool noFollow = false)
    {
        var fd = OpenAtRetry(AtFdCwd, path, ORdOnly | ODirectory | OCloExec | (noFollow ? ONoFollow : 0), 0);
        return fd < 0 && Marshal.GetLastPInvokeError() == Enoent
            ? throw new DirectoryNotFoundException($"{path}: no such directory")
            : Check(fd, path);
    }

    /// <summary>
    /// Opens a folder root will write into by walking from <c>/</c> one component at a time with
    /// O_NOFOLLOW|O_DIRECTORY, so no symlink anywhere in the path (not only the last one) can redirect the write: the
    /// owner of an ancestor folder (Debian's <c>/var/lib/prometheus</c> belongs to <c>prometheus</c>) can at most
    /// swap in another real folder, never point root at a folder of their choice. A symlink in the path is an
    /// <see cref="UnsafeLocationException"/> naming it. <paramref name="create"/> makes missing folders with that mode
    /// (mkdirat relative to the opened parent).
    /// </summary>
    public static SafeFileHandle OpenDirectoryWithoutLinks(string path, UnixFileMode? create = null)
    {
        var full = Path.GetFullPath(path);
        var current = Check(OpenAtRetry(AtFdCwd, "/", ORdOnly | ODirectory | OCloExec, 0), "/");
        var shown = "";
        try
        {
            foreach (var segment in full.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                shown += "/" + segment;
                var fd = OpenAtRetry(Fd(current), segment, ORdOnly | ODirectory | OCloExec | ONoFollow, 0);
                if (fd < 0 && Marshal.GetLastPInvokeError() == Enoent && create is { } mode)
                {
                    _ = MakeDirectoryAt(current, segment, mode, shown);
                    fd = OpenAtRetry(Fd(current), segment, ORdOnly | ODirectory | OCloExec | ONoFollow, 0);
                }

                if (fd < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno is Eloop or Enotdir && LStatAt(current, segment) is { IsSymlink: true })
                    {
                        throw new UnsafeLocationException(
                            $"{shown}: is a symbolic link; root writes only into real folders, never through a link (name the real folder in the configuration instead of {full})");
                    }

                    throw errno == Enoent ? new DirectoryNotFoundException($"{shown}: no such directory") : Error(errno, shown);
                }

                var next = new SafeFileHandle(fd, ownsHandle: true);
                current.Dispose();
                current = next;
            }

            return current;
        }
        catch
        {
            current.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the folder of a file root trusts (the configuration, a chained hookscript) from <c>/</c> down without
    /// following a symlink, requiring each folder on the way to be owned by root (or this process's user) and not
    /// writable by group or others (a sticky folder such as /tmp excepted): nobody else can swap what is opened next.
    /// </summary>
    public static SafeFileHandle OpenTrustedDirectory(string path)
    {
        var full = Path.GetFullPath(path);
        var current = Check(OpenAtRetry(AtFdCwd, "/", ORdOnly | ODirectory | OCloExec, 0), "/");
        var shown = "";
        try
        {
            RequireTrusted(current, "/");
            foreach (var segment in full.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                shown += "/" + segment;
                var fd = OpenAtRetry(Fd(current), segment, ORdOnly | ODirectory | OCloExec | ONoFollow, 0);
                if (fd < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno is Eloop or Enotdir && LStatAt(current, segment) is { IsSymlink: true })
                    {
                        throw new UnsafeLocationException($"{shown} is a symbolic link; a file root trusts must be reached without one");
                    }

                    throw errno == Enoent ? new DirectoryNotFoundException($"{shown}: no such directory") : Error(errno, shown);
                }

                var next = new SafeFileHandle(fd, ownsHandle: true);
                current.Dispose();
                current = next;
                RequireTrusted(current, shown);
            }

            return current;
        }
        catch
        {
            current.Dispose();
            throw;
        }
    }

    private static void RequireTrusted(SafeFileHandle directory, string shown)
    {
        var status = Stat(directory, shown);
        if (Untrusted(shown, status, isFile: false) is { } problem)
        {
            throw new UnsafeLocationException(problem);
        }
    }

    private static unsafe FileStatus? LStatAt(SafeFileHandle directory, string name)
    {
        StatxBuffer buffer = default;
        return Statx(Fd(directory), name, AtSymlinkNoFollow, StatxBasicStats, &buffer) == 0
            ? new FileStatus(buffer.Mode, buffer.Uid, buffer.Gid, (long)buffer.Size)
            : null;
    }

    /// <summary>Opens <paramref name="name"/> inside <paramref name="directory"/> as a directory, never through a symlink.</summary>
    public static SafeFileHandle OpenDirectoryAt(SafeFileHandle directory, string name, string display) =>
        Check(OpenAtRetry(Fd(directory), name, ORdOnly | ODirectory | OCloExec | ONoFollow, 0), display);

    /// <summary>
    /// Opens a file for reading without following a final symlink and without blocking on a FIFO, then requires a
    /// regular file on the opened handle. <paramref name="directory"/> null means relative to the working directory
    /// (an absolute <paramref name="path"/> is then opened as is).
    /// </summary>
    public static SafeFileHandle OpenRegularForRead(string path, SafeFileHandle? directory = null, string? display = null, bool followLinks = false)
    {
        display ??= path;
        var handle = Check(OpenAtRetry(directory is null ? AtFdCwd : Fd(directory), path, ORdOnly | (followLinks ? 0 : ONoFollow) | ONonBlock | ONoCtty | OCloExec, 0), display);
        var status = Stat(handle, display);
        if (!status.IsRegular)
        {
            handle.Dispose();
            throw new IOException($"{display}: is a {status.TypeName}, not a regular file; refusing to read it");
        }

        return handle;
    }

    /// <summary>Creates a new file (never an existing one, never through a symlink) with exactly <paramref name="mode"/>.</summary>
    public static SafeFileHandle CreateNew(SafeFileHandle directory, string name, UnixFileMode mode, string display)
    {
        // 0600 at creation (umask can only remove bits), then the wanted mode on the handle, whatever the umask.
        var handle = Check(OpenAtRetry(Fd(directory), name, OWrOnly | OCreat | OExcl | ONoFollow | OCloExec | ONoCtty, 0x180), display);
        SetMode(handle, mode, display);
        return handle;
    }

    /// <summary>Opens a file for appending (created when missing), never through a symlink, with exactly <paramref name="mode"/>.</summary>
    public static SafeFileHandle OpenAppend(SafeFileHandle directory, string name, UnixFileMode mode, string display)
    {
        const int OAppend = 0x400;
        var handle = Check(OpenAtRetry(Fd(directory), name, OWrOnly | OCreat | OAppend | ONoFollow | ONonBlock | OCloExec | ONoCtty, 0x180), display);
        try
        {
            var status = Stat(handle, display);
            if (!status.IsRegular)
            {
                throw new IOException($"{display}: is a {status.TypeName}, not a regular file; refusing to write to it");
            }

            SetMode(handle, mode, display);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Creates a directory inside <paramref name="directory"/>; an existing one is left as is (returns false).</summary>
    public static bool MakeDirectoryAt(SafeFileHandle directory, string name, UnixFileMode mode, string display)
    {
        while (MkdirAt(Fd(directory), name, (uint)mode) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Eintr)
            {
                continue;
            }

            if (errno == Eexist)
            {
                return false;
            }

            throw Error(errno, display);
        }

        return true;
    }

    public static void SetMode(SafeFileHandle handle, UnixFileMode mode, string display)
    {
        if (FChmod(Fd(handle), (uint)mode) != 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), display);
        }
    }

    public static void RenameAt(SafeFileHandle directory, string from, string to, string display)
    {
        if (RenameAt(Fd(directory), from, Fd(directory), to) != 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), display);
        }
    }

    public static void TryUnlinkAt(SafeFileHandle directory, string name) => _ = UnlinkAt(Fd(directory), name, 0);

    /// <summary>Type, mode and owner of an opened file.</summary>
    public static unsafe FileStatus Stat(SafeFileHandle handle, string display)
    {
        StatxBuffer buffer = default;
        if (Statx(Fd(handle), "", AtEmptyPath, StatxBasicStats, &buffer) != 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), display);
        }

        return new FileStatus(buffer.Mode, buffer.Uid, buffer.Gid, (long)buffer.Size);
    }

    /// <summary>Type, mode and owner of what a path names, following symlinks, or null when it does not exist.</summary>
    public static unsafe FileStatus? StatPath(string path)
    {
        StatxBuffer buffer = default;
        if (Statx(AtFdCwd, path, 0, StatxBasicStats, &buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno is Enoent or Enotdir ? null : throw Error(errno, path);
        }

        return new FileStatus(buffer.Mode, buffer.Uid, buffer.Gid, (long)buffer.Size);
    }

    /// <summary>
    /// Why a file that root will run or trust is unsafe, or null when it is safe: it and every folder above it must be
    /// owned by root (or this process's user) and not writable by group or others (a sticky folder excepted).
    /// </summary>
    public static string? WhyNotTrusted(string path)
    {
        if (!IsSupported)
        {
            return null;
        }

        var full = Path.GetFullPath(path);
        var file = StatPath(full);
        if (file is null)
        {
            return $"{full} does not exist";
        }

        if (!file.Value.IsRegular)
        {
            return $"{full} is a {file.Value.TypeName}, not a regular file";
        }

        var problem = Untrusted(full, file.Value, isFile: true);
        if (problem is not null)
        {
            return problem;
        }

        for (var dir = Path.GetDirectoryName(full); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var status = StatPath(dir);
            if (status is { } s && Untrusted(dir, s, isFile: false) is { } dirProblem)
            {
                return dirProblem;
            }
        }

        return null;
    }

    private static string? Untrusted(string path, FileStatus status, bool isFile)
    {
        var me = EffectiveUserId;
        if (status.Uid != 0 && status.Uid != me)
        {
            return $"{path} is owned by uid {status.Uid}, not root";
        }

        if (status.IsGroupOrWorldWritable && (isFile || !status.IsSticky))
        {
            return $"{path} is writable by group or others (mode {status.OctalPermissions})";
        }

        return null;
    }

    /// <summary>Type, mode and owner of a path itself (a symlink is reported as one), or null when it does not exist.</summary>
    public static unsafe FileStatus? LStat(string path)
    {
        StatxBuffer buffer = default;
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, &buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno is Enoent or Enotdir ? null : throw Error(errno, path);
        }

        return new FileStatus(buffer.Mode, buffer.Uid, buffer.Gid, (long)buffer.Size);
    }

    /// <summary>
    /// Opens a file only root may have written (a saved fix plan, an undo file: they decide what root writes to VMs)
    /// inside an opened folder: never through a symlink, and only a regular file owned by root (or this process's
    /// user) that group and others can neither read nor write (0600, or 0400), checked on the opened handle. Null when
    /// there is no such file; anything else is an <see cref="UnsafeLocationException"/> naming the file.
    /// </summary>
    public static SafeFileHandle? OpenPrivateFile(SafeFileHandle directory, string name, string display)
    {
        var fd = OpenAtRetry(Fd(directory), name, ORdOnly | ONoFollow | ONonBlock | ONoCtty | OCloExec, 0);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Enoent)
            {
                return null;
            }

            throw errno == Eloop && LStatAt(directory, name) is { IsSymlink: true }
                ? new UnsafeLocationException($"{display}: is a symbolic link; refusing to follow it")
                : Error(errno, display);
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            RequirePrivate(Stat(handle, display), display);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The checks of <see cref="OpenPrivateFile"/> on a file already opened (to append to it, say).</summary>
    public static void RequirePrivate(FileStatus status, string display)
    {
        if (!status.IsRegular)
        {
            throw new UnsafeLocationException($"{display}: is a {status.TypeName}, not a regular file; refusing it");
        }

        if (status.Uid != 0 && status.Uid != EffectiveUserId)
        {
            throw new UnsafeLocationException($"{display}: owned by uid {status.Uid}, not root; refusing it (only root writes plans and undo files)");
        }

        if ((status.Permissions & 0x3F) != 0)
        {
            throw new UnsafeLocationException($"{display}: mode {status.OctalPermissions}, open to group or others; refusing it (plans and undo files are root's, 0600: if you trust its content, chmod 600 {display})");
        }
    }

    /// <summary>Reads an opened file to its end, refusing more than <paramref name="maxBytes"/>.</summary>
    public static byte[] ReadAll(SafeFileHandle handle, int maxBytes, string display)
    {
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 1);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new InputTooLargeException(display, buffer.Length + read, maxBytes);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static int OpenAtRetry(int directory, string path, int flags, uint mode)
    {
        int fd;
        while ((fd = OpenAt(directory, path, flags, mode)) < 0 && Marshal.GetLastPInvokeError() == Eintr)
        {
        }

        return fd;
    }

    private static SafeFileHandle Check(int fd, string display) =>
        fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Error(Marshal.GetLastPInvokeError(), display);

    private static int Fd(SafeFileHandle handle) => (int)handle.DangerousGetHandle();

    private static IOException Error(int errno, string display) => errno switch
    {
        Enoent => new FileNotFoundException($"{display}: no such file or directory", display),
        Eloop => new IOException($"{display}: is a symbolic link; refusing to follow it"),
        Eexist => new IOException($"{display}: already exists"),
        Enotdir => new IOException($"{display}: not a directory (or a symbolic link to one); refusing to follow it"),
        13 or 1 => new IOException($"{display}: permission denied"),
        _ => new IOException($"{display}: {Marshal.GetPInvokeErrorMessage(errno)}"),
    };
}
