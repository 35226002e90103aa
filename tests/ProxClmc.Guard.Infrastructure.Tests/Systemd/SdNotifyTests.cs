using ProxClmc.Guard.Infrastructure.Systemd;
using ProxClmc.Guard.Infrastructure.Tests.Journal;

namespace ProxClmc.Guard.Infrastructure.Tests.Systemd;

public sealed class SdNotifyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Notifications_arrive_at_a_path_socket()
    {
        using var systemd = new UnixDatagramReceiver();
        using var notify = SdNotify.FromEnvironment(name => name == "NOTIFY_SOCKET" ? systemd.Path : null);

        Assert.True(notify.IsEnabled);
        Assert.True(notify.Ready());
        Assert.True(notify.Status("baseline x86-64-v3,\n3 unsafe of 20 guests"));
        Assert.True(notify.Reloading());
        Assert.True(notify.Stopping());

        Assert.Equal("READY=1", await systemd.ReceiveTextAsync(Timeout));
        Assert.Equal("STATUS=baseline x86-64-v3, 3 unsafe of 20 guests", await systemd.ReceiveTextAsync(Timeout));
        Assert.Equal("RELOADING=1", await systemd.ReceiveTextAsync(Timeout));
        Assert.Equal("STOPPING=1", await systemd.ReceiveTextAsync(Timeout));
    }

    [Fact]
    public async Task Notifications_arrive_at_an_abstract_socket()
    {
        var name = "proxclmc-notify-" + Guid.NewGuid().ToString("N");
        using var systemd = new UnixDatagramReceiver(name);
        using var notify = new SdNotify("@" + name);

        Assert.True(notify.Ready());

        Assert.Equal("READY=1", await systemd.ReceiveTextAsync(Timeout));
    }

    [Fact]
    public void Without_notify_socket_nothing_is_sent()
    {
        using var notify = SdNotify.FromEnvironment(_ => null);

        Assert.False(notify.IsEnabled);
        Assert.False(notify.Ready());
    }

    [Fact]
    public void A_notify_socket_nobody_listens_on_is_not_an_error()
    {
        using var notify = new SdNotify(Path.Combine(Path.GetTempPath(), "proxclmc-gone-" + Guid.NewGuid().ToString("N")));

        Assert.True(notify.IsEnabled);
        Assert.False(notify.Ready());
    }
}
