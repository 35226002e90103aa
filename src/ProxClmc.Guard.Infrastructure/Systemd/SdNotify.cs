using System.Net.Sockets;
using System.Text;

namespace ProxClmc.Guard.Infrastructure.Systemd;

/// <summary>
/// sd_notify(3): state changes sent as datagrams to <c>$NOTIFY_SOCKET</c> (a path, or an abstract socket when it
/// starts with '@'). Without <c>NOTIFY_SOCKET</c> (not started by systemd as <c>Type=notify</c>) every call does
/// nothing, and a notification that cannot be delivered is ignored: systemd being gone is no reason to stop scanning.
/// </summary>
public sealed class SdNotify : IDisposable
{
    private readonly UnixDomainSocketEndPoint? endpoint;
    private readonly Lock gate = new();
    private Socket? socket;

    public SdNotify(string? notifySocket)
    {
        NotifySocket = string.IsNullOrEmpty(notifySocket) ? null : notifySocket;
        if (NotifySocket is not null)
        {
            endpoint = new UnixDomainSocketEndPoint(NotifySocket.StartsWith('@') ? "\0" + NotifySocket[1..] : NotifySocket);
        }
    }

    public static SdNotify FromEnvironment(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return new SdNotify(environment("NOTIFY_SOCKET"));
    }

    public string? NotifySocket { get; }

    public bool IsEnabled => endpoint is not null;

    public bool Ready() => Send("READY=1");

    public bool Stopping() => Send("STOPPING=1");

    public bool Reloading() => Send("RELOADING=1");

    /// <summary>A one-line status for <c>systemctl status</c>; line breaks are folded into spaces.</summary>
    public bool Status(string status) => Send("STATUS=" + status.ReplaceLineEndings(" "));

    /// <summary>Sends raw <c>KEY=value</c> lines; false when disabled or undeliverable.</summary>
    public bool Send(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (endpoint is null)
        {
            return false;
        }

        lock (gate)
        {
            try
            {
                socket ??= new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { SendTimeout = 2000 };
                socket.SendTo(Encoding.UTF8.GetBytes(state), endpoint);
                return true;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return false;
            }
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            socket?.Dispose();
            socket = null;
        }
    }
}
