using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ProxClmc.Guard.Infrastructure.Tests.Journal;

/// <summary>A unix datagram socket the test binds itself, standing in for journald or systemd's notify socket.
/// Receives plain datagrams and, like journald, descriptors passed with SCM_RIGHTS (DllImport: blittable arguments only,
/// so the test project needs no unsafe code).</summary>
internal sealed class UnixDatagramReceiver : IDisposable
{
    private readonly string directory;

    public UnixDatagramReceiver(string? abstractName = null)
    {
        directory = Directory.CreateTempSubdirectory("proxclmc-sock-").FullName;
        Socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified)
        {
            ReceiveTimeout = 10_000,
            ReceiveBufferSize = 4 * 1024 * 1024,
        };
        if (abstractName is null)
        {
            Path = System.IO.Path.Combine(directory, "socket");
            Socket.Bind(new UnixDomainSocketEndPoint(Path));
        }
        else
        {
            Path = "@" + abstractName;
            Socket.Bind(new UnixDomainSocketEndPoint("\0" + abstractName));
        }
    }

    public Socket Socket { get; }

    /// <summary>The address as NOTIFY_SOCKET spells it ('@' for the abstract namespace).</summary>
    public string Path { get; }

    public byte[] Receive()
    {
        var buffer = new byte[4 * 1024 * 1024];
        var n = Socket.Receive(buffer);
        return buffer[..n];
    }

    public async Task<string> ReceiveTextAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        var n = await Socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, n);
    }

    /// <summary>Receives one datagram carrying a descriptor; returns its bytes (from /proc/self/fd) and seals.</summary>
    public (byte[] Content, int Seals, int DataLength) ReceiveFd()
    {
        var data = Marshal.AllocHGlobal(1024);
        var control = Marshal.AllocHGlobal(64);
        var iov = Marshal.AllocHGlobal(16);
        var header = Marshal.AllocHGlobal(56);
        try
        {
            Marshal.WriteIntPtr(iov, 0, data);
            Marshal.WriteInt64(iov, 8, 1024);
            for (var i = 0; i < 56; i += 8)
            {
                Marshal.WriteInt64(header, i, 0);
            }

            Marshal.WriteIntPtr(header, 16, iov);
            Marshal.WriteInt64(header, 24, 1);
            Marshal.WriteIntPtr(header, 32, control);
            Marshal.WriteInt64(header, 40, 64);
            var n = RecvMsg(Socket.Handle, header, 0);
            if (n < 0)
            {
                throw new IOException($"recvmsg failed: errno {Marshal.GetLastPInvokeError()}");
            }

            var controlLength = Marshal.ReadInt64(header, 40);
            var level = Marshal.ReadInt32(control, 8);
            var type = Marshal.ReadInt32(control, 12);
            if (controlLength < 20 || level != 1 || type != 1)
            {
                throw new IOException($"no SCM_RIGHTS descriptor received (control length {controlLength}, level {level}, type {type})");
            }

            var fd = Marshal.ReadInt32(control, 16);
            try
            {
                var seals = Fcntl(fd, 1034, 0);
                var content = File.ReadAllBytes($"/proc/self/fd/{fd}");
                return (content, seals, (int)n);
            }
            finally
            {
                _ = Close(fd);
            }
        }
        finally
        {
            Marshal.FreeHGlobal(data);
            Marshal.FreeHGlobal(control);
            Marshal.FreeHGlobal(iov);
            Marshal.FreeHGlobal(header);
        }
    }

    /// <summary>A second name for the socket file: it outlives the socket (.NET unlinks the bound path on close),
    /// so a sender gets ECONNREFUSED there, as after journald died without cleaning up.</summary>
    public string SecondName()
    {
        var second = System.IO.Path.Combine(directory, "socket-link");
        if (Link(Path, second) != 0)
        {
            throw new IOException($"link failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return second;
    }

    public void Dispose()
    {
        Socket.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    [DllImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static extern nint RecvMsg(nint socket, nint message, int flags);

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command, int argument);

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string created);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}
