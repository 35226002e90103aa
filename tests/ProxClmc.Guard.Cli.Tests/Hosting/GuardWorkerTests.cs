using System.Runtime.InteropServices;
using NSubstitute;
using NSubstitute.ExceptionExtensions;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Hosting;
using ProxClmc.Guard.Infrastructure.Systemd;
using ProxClmc.Guard.Testing;
using Serilog;
using Serilog.Events;

namespace ProxClmc.Guard.Cli.Tests.Hosting;

/// <summary>
/// The <c>daemon</c> worker as systemd sees it: the test binds the NOTIFY_SOCKET, owns the clock, and plays the scan
/// runner and the configuration reloader.
/// </summary>
public sealed class GuardWorkerTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 13, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(3600);

    private readonly NotifySocket systemd = new();
    private readonly ManualTimeProvider clock = new(Start);
    private readonly CollectingSink log = new();
    private readonly IScanRunner runner = Substitute.For<IScanRunner>();
    private readonly IConfigReloader reloader = Substitute.For<IConfigReloader>();
    private readonly CancellationTokenSource stop = new();
    private SdNotify? notify;
    private Task<int>? daemon;

    private int scans;

    public GuardWorkerTests()
    {
        runner.RunOnceAsync(Arg.Any<CancellationToken>()).Returns(_ =>
        {
            var run = Interlocked.Increment(ref scans);
            return new ScanRunSummary("x86-64-v3", 20, 3, run == 1 ? 0 : 1, clock.GetUtcNow(), 2);
        });
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (daemon is not null)
        {
            await daemon;
        }

        notify?.Dispose();
        systemd.Dispose();
        stop.Dispose();
    }

    private GuardWorker StartDaemon(bool handleSighup = false)
    {
        var options = new DaemonOptions { Interval = Interval, TimeProvider = clock, Environment = systemd.Environment, HandleSighup = handleSighup };
        notify = SdNotify.FromEnvironment(options.Environment);
        var logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(log).CreateLogger();
        var worker = new GuardWorker(runner, reloader, new SystemdNotifier(notify), logger, options);
        daemon = DaemonHost.RunWorkerAsync(worker, options, logger, stop.Token);
        return worker;
    }

    [Fact]
    public async Task Ready_follows_the_first_scan_with_its_status_and_stopping_ends_it()
    {
        StartDaemon();

        Assert.Equal("STATUS=first scan running", await systemd.NextAsync());
        Assert.Equal("STATUS=baseline x86-64-v3, 3 unsafe of 20 guests, last run 2026-11-23T13:00:00Z", await systemd.NextAsync());
        Assert.Equal("READY=1", await systemd.NextAsync());
        Assert.Equal(1, scans);

        await stop.CancelAsync();

        Assert.Equal("STOPPING=1", await systemd.NextAsync());
        Assert.Equal(0, await daemon!);
        Assert.Contains("Daemon stopped", log.Messages(LogEventLevel.Information));
    }

    [Fact]
    public async Task The_public_entry_point_notifies_the_same_way()
    {
        var options = new DaemonOptions { Interval = Interval, TimeProvider = clock, Environment = systemd.Environment, HandleSighup = false };
        var logger = new LoggerConfiguration().WriteTo.Sink(log).CreateLogger();
        daemon = DaemonHost.RunAsync(runner, reloader, CompositionRoot.ServiceNotifier(options.Environment), options, logger, stop.Token);

        var seen = await systemd.UntilAsync("READY=1");
        await stop.CancelAsync();

        Assert.Equal(["STATUS=first scan running", "STATUS=baseline x86-64-v3, 3 unsafe of 20 guests, last run 2026-11-23T13:00:00Z", "READY=1"], seen);
        Assert.Equal("STOPPING=1", await systemd.NextAsync());
        Assert.Equal(0, await daemon);
    }

    [Fact]
    public async Task A_scan_runs_again_every_interval()
    {
        StartDaemon();
        await systemd.UntilAsync("READY=1");
        await clock.WaitForTimerAsync();

        clock.Advance(Interval);

        Assert.Equal("STATUS=baseline x86-64-v3, 3 unsafe of 20 guests, 1 warning, last run 2026-11-23T14:00:00Z", await systemd.NextAsync());
        Assert.Equal(2, scans);
        await clock.WaitForTimerAsync();

        clock.Advance(Interval - TimeSpan.FromSeconds(1));
        Assert.Equal(2, scans);
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("STATUS=baseline x86-64-v3, 3 unsafe of 20 guests, 1 warning, last run 2026-11-23T15:00:00Z", await systemd.NextAsync());
        Assert.Equal(3, scans);
    }

    [Fact]
    public async Task A_reload_with_a_broken_config_keeps_the_old_one_logs_why_and_scans_again()
    {
        reloader.TryReload(out Arg.Any<string?>()).Returns(call =>
        {
            call[0] = "/etc/proxclmc-guard/proxclmc-guard.toml:3:1: unknown key 'intervall' in [daemon]";
            return false;
        });
        var worker = StartDaemon();
        await systemd.UntilAsync("READY=1");

        worker.RequestReload();

        Assert.Equal("RELOADING=1", await systemd.NextAsync());
        Assert.Equal("READY=1", await systemd.NextAsync());
        Assert.StartsWith("STATUS=baseline x86-64-v3, 3 unsafe of 20 guests, 1 warning", await systemd.NextAsync());
        Assert.Equal(2, scans);
        reloader.Received(1).TryReload(out Arg.Any<string?>());
        var error = Assert.Single(log.Events, e => e.Level == LogEventLevel.Error);
        Assert.Equal(
            "Configuration reload failed, keeping the previous configuration: /etc/proxclmc-guard/proxclmc-guard.toml:3:1: unknown key 'intervall' in [daemon]",
            error.RenderMessage(System.Globalization.CultureInfo.InvariantCulture).Replace("\"", string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_good_reload_is_logged_and_followed_by_a_scan()
    {
        reloader.TryReload(out Arg.Any<string?>()).Returns(true);
        var worker = StartDaemon();
        await systemd.UntilAsync("READY=1");

        worker.RequestReload();
        var seen = await systemd.UntilAsync("STATUS=");

        Assert.Equal(["RELOADING=1", "READY=1"], seen[..2]);
        Assert.Contains("Configuration reloaded", log.Messages(LogEventLevel.Information));
        Assert.Equal(2, scans);
        Assert.DoesNotContain(log.Events, e => e.Level >= LogEventLevel.Error);
    }

    [Fact]
    public async Task A_failed_first_scan_is_reported_and_the_daemon_still_becomes_ready()
    {
        runner.RunOnceAsync(Arg.Any<CancellationToken>()).ThrowsAsync(new IOException("corosync.conf: no such file"));
        StartDaemon();

        var seen = await systemd.UntilAsync("READY=1");

        Assert.Equal("STATUS=scan at 2026-11-23T13:00:00Z failed: corosync.conf: no such file", seen[^2]);
        var error = Assert.Single(log.Events, e => e.Level == LogEventLevel.Error);
        Assert.IsType<IOException>(error.Exception);
        await stop.CancelAsync();
        Assert.Equal(0, await daemon!);
    }

    [Fact]
    public async Task A_later_failed_scan_keeps_the_last_good_summary_in_the_status()
    {
        var attempts = 0;
        runner.RunOnceAsync(Arg.Any<CancellationToken>()).Returns(_ => ++attempts == 1
            ? Task.FromResult(new ScanRunSummary("x86-64-v3", 20, 3, 0, clock.GetUtcNow(), 2))
            : Task.FromException<ScanRunSummary>(new TimeoutException("pve3: SSH connection timed out")));
        StartDaemon();
        await systemd.UntilAsync("READY=1");
        await clock.WaitForTimerAsync();

        clock.Advance(Interval);

        Assert.Equal(
            "STATUS=baseline x86-64-v3, 3 unsafe of 20 guests, last run 2026-11-23T13:00:00Z; scan at 2026-11-23T14:00:00Z failed: pve3: SSH connection timed out",
            await systemd.NextAsync());
        await clock.WaitForTimerAsync();
        Assert.Contains(log.Events, e => e.Level == LogEventLevel.Error && e.Exception is TimeoutException);
    }

    [Fact]
    public async Task Stopping_cancels_a_scan_in_progress()
    {
        var scanStarted = new TaskCompletionSource();
        runner.RunOnceAsync(Arg.Any<CancellationToken>()).Returns(async call =>
        {
            scanStarted.TrySetResult();
            await Task.Delay(Timeout.Infinite, call.Arg<CancellationToken>());
            return new ScanRunSummary("x86-64-v3", 0, 0, 0, clock.GetUtcNow(), 0);
        });
        StartDaemon();
        await scanStarted.Task.WaitAsync(ServerTimeouts.Run);

        await stop.CancelAsync();

        Assert.Equal(0, await daemon!);
        Assert.DoesNotContain(log.Events, e => e.Level >= LogEventLevel.Error);
    }

    [Fact]
    public async Task A_real_sighup_reloads_the_configuration()
    {
        var reloaded = new TaskCompletionSource();
        reloader.TryReload(out Arg.Any<string?>()).Returns(_ =>
        {
            reloaded.TrySetResult();
            return true;
        });
        StartDaemon(handleSighup: true);

        // The worker registered its SIGHUP handler before it started scanning, so the test host is safe from here on.
        await systemd.UntilAsync("READY=1");
        Assert.Equal(0, Kill(Environment.ProcessId, Sighup));

        await reloaded.Task.WaitAsync(ServerTimeouts.Run);
        Assert.Equal("RELOADING=1", await systemd.NextAsync());
    }

    [Theory]
    [InlineData(0, 0, "baseline x86-64-v2-AES, 0 unsafe of 12 guests, last run 2026-11-23T13:00:00Z")]
    [InlineData(1, 1, "baseline x86-64-v2-AES, 0 unsafe of 12 guests, 1 warning, last run 2026-11-23T13:00:00Z")]
    [InlineData(2, 2, "baseline x86-64-v2-AES, 0 unsafe of 12 guests, 2 warnings, last run 2026-11-23T13:00:00Z")]
    [InlineData(0, 3, "baseline x86-64-v2-AES, 0 unsafe of 12 guests, incomplete (some nodes or guests could not be read), last run 2026-11-23T13:00:00Z")]
    public void The_status_line_says_what_an_administrator_needs_at_a_glance(int warnings, int exitCode, string expected)
    {
        var finished = new DateTimeOffset(2026, 11, 23, 14, 0, 0, TimeSpan.FromHours(1));

        Assert.Equal(expected, new ScanRunSummary("x86-64-v2-AES", 12, 0, warnings, finished, exitCode).StatusLine());
    }

    private const int Sighup = 1;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
