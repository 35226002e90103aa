namespace ProxClmc.Guard.Hosting;

/// <summary>
/// What the worker tells its service manager (systemd's sd_notify for a <c>Type=notify</c> unit): each call is best
/// effort and returns whether the message went out; without a manager listening, nothing is sent.
/// </summary>
internal interface IServiceNotifier : IDisposable
{
    bool Ready();

    bool Stopping();

    bool Reloading();

    /// <summary>The one-line status <c>systemctl status</c> shows.</summary>
    bool Status(string status);
}
