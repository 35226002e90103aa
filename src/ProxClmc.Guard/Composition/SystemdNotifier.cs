using ProxClmc.Guard.Hosting;
using ProxClmc.Guard.Infrastructure.Systemd;

namespace ProxClmc.Guard.Composition;

/// <summary>The worker's notifications over sd_notify (<see cref="SdNotify"/>, the socket NOTIFY_SOCKET names).</summary>
internal sealed class SystemdNotifier(SdNotify notify) : IServiceNotifier
{
    public bool Ready() => notify.Ready();

    public bool Stopping() => notify.Stopping();

    public bool Reloading() => notify.Reloading();

    public bool Status(string status) => notify.Status(status);

    public void Dispose() => notify.Dispose();
}
