using System.Net.Sockets;
using System.Text;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Hosting;

/// <summary>Plays systemd's side of sd_notify: a unix datagram socket the test binds itself.</summary>
internal sealed class NotifySocket : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("proxclmc-notify-").FullName;
    private readonly Socket socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

    public NotifySocket()
    {
        Path = System.IO.Path.Combine(directory, "notify");
        socket.Bind(new UnixDomainSocketEndPoint(Path));
    }

    public string Path { get; }

    /// <summary>The environment the worker sees: only NOTIFY_SOCKET, pointing here.</summary>
    public string? Environment(string name) => name == "NOTIFY_SOCKET" ? Path : null;

    public async Task<string> NextAsync()
    {
        using var timeout = new CancellationTokenSource(ServerTimeouts.Run);
        var buffer = new byte[4096];
        try
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return Encoding.UTF8.GetString(buffer, 0, n);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("no notification from the worker");
        }
    }

    /// <summary>Reads notifications until one starts with <paramref name="prefix"/>, returning those read on the way.</summary>
    public async Task<List<string>> UntilAsync(string prefix)
    {
        var seen = new List<string>();
        while (true)
        {
            var message = await NextAsync();
            seen.Add(message);
            if (message.StartsWith(prefix, StringComparison.Ordinal))
            {
                return seen;
            }
        }
    }

    public void Dispose()
    {
        socket.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
