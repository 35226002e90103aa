using System.Runtime.InteropServices;
using System.Text;

namespace ProxClmc.Guard.Infrastructure.Journal;

/// <summary>
/// The libc calls .NET has no managed form for: a sealed memfd (memfd_create + F_ADD_SEALS) and sendmsg with an
/// SCM_RIGHTS control message, which is how sd_journal_send() hands journald an entry too large for one datagram.
/// Struct layouts are those of 64-bit Linux (glibc and musl agree there).
/// </summary>
internal static partial class JournalNative
{
    private const uint MfdCloexec = 0x0001;
    private const uint MfdAllowSealing = 0x0002;
    private const int FAddSeals = 1033;
    internal const int FGetSeals = 1034;
    internal const int FSealSeal = 0x0001;
    internal const int FSealShrink = 0x0002;
    internal const int FSealGrow = 0x0004;
    internal const int FSealWrite = 0x0008;
    internal const int AllSeals = FSealSeal | FSealShrink | FSealGrow | FSealWrite;
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const ushort AfUnix = 1;
    private const int SunPathLength = 108;
    private const int Eintr = 4;

    public static bool IsSupported => OperatingSystem.IsLinux() && IntPtr.Size == 8;

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static unsafe partial nint SendMsg(nint socket, MessageHeader* message, int flags);

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public void* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ControlMessageWithFd
    {
        public nuint Length;
        public int Level;
        public int Type;
        public int Fd;
        private readonly int padding;
    }

    /// <summary>A memfd holding <paramref name="payload"/>, sealed against any change, so journald may map it
    /// without fearing the sender rewrites it underneath. The caller owns (and closes) the descriptor.</summary>
    public static unsafe int CreateSealedMemfd(string name, ReadOnlySpan<byte> payload)
    {
        var fd = MemfdCreate(name, MfdCloexec | MfdAllowSealing);
        if (fd < 0)
        {
            throw Failure("memfd_create");
        }

        try
        {
            fixed (byte* start = payload)
            {
                var written = 0;
                while (written < payload.Length)
                {
                    var n = Write(fd, start + written, (nuint)(payload.Length - written));
                    if (n < 0)
                    {
                        if (Marshal.GetLastPInvokeError() == Eintr)
                        {
                            continue;
                        }

                        throw Failure("write to memfd");
                    }

                    written += (int)n;
                }
            }

            if (Fcntl(fd, FAddSeals, AllSeals) < 0)
            {
                throw Failure("sealing memfd");
            }

            return fd;
        }
        catch
        {
            Close(fd);
            throw;
        }
    }

    public static int GetSeals(int fd) => Fcntl(fd, FGetSeals, 0);

    public static void CloseFd(int fd) => Close(fd);

    /// <summary>Sends an empty datagram carrying <paramref name="fd"/> (SCM_RIGHTS) to the unix socket at
    /// <paramref name="socketPath"/> ('@' = abstract namespace).</summary>
    public static unsafe void SendFd(nint socket, string socketPath, int fd)
    {
        Span<byte> address = stackalloc byte[2 + SunPathLength];
        var addressLength = EncodeUnixAddress(socketPath, address);
        var control = new ControlMessageWithFd
        {
            // CMSG_LEN(sizeof(int)): header plus the descriptor, without the trailing alignment padding.
            Length = (nuint)(sizeof(nuint) + (2 * sizeof(int)) + sizeof(int)),
            Level = SolSocket,
            Type = ScmRights,
            Fd = fd,
        };

        fixed (byte* name = address)
        {
            var header = new MessageHeader
            {
                Name = name,
                NameLength = (uint)addressLength,
                Iov = null,
                IovLength = 0,
                Control = &control,
                ControlLength = (nuint)sizeof(ControlMessageWithFd),
            };

            while (SendMsg(socket, &header, 0) < 0)
            {
                if (Marshal.GetLastPInvokeError() != Eintr)
                {
                    throw Failure("sendmsg");
                }
            }
        }
    }

    private static int EncodeUnixAddress(string path, Span<byte> address)
    {
        address.Clear();
        address[0] = (byte)(AfUnix & 0xff);
        address[1] = (byte)(AfUnix >> 8);
        var abstractName = path.StartsWith('@');
        var bytes = Encoding.UTF8.GetBytes(abstractName ? path[1..] : path);
        var offset = abstractName ? 1 : 0;
        if (bytes.Length + offset >= SunPathLength)
        {
            throw new IOException($"unix socket path too long: {path}");
        }

        bytes.CopyTo(address[(2 + offset)..]);

        // An abstract address is exactly as long as its name; a path one includes the terminating NUL.
        return 2 + offset + bytes.Length + (abstractName ? 0 : 1);
    }

    private static IOException Failure(string what)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new JournalNativeException($"{what} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
    }
}
