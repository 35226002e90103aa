using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Serilog;

namespace ProxClmc.Guard.Hosting;

/// <summary>
/// The <c>daemon</c> worker: a scan at start, then one every interval, a configuration reload on SIGHUP, and the
/// systemd notifications of a <c>Type=notify</c> service.
/// <list type="bullet">
/// <item><c>READY=1</c> follows the first scan, so <c>systemctl start</c> returns once there is a first result (and the
/// report files exist). It is sent even when that scan failed: the worker is up and retries at every interval, while
/// refusing to start would only make <c>Restart=on-failure</c> hammer nodes that are down. The failure shows in
/// <c>STATUS=</c> and the journal.</item>
/// <item><c>STATUS=</c> is the last scan's one-line summary (<see cref="ScanRunSummary.StatusLine"/>).</item>
/// <item>SIGHUP: <c>RELOADING=1</c>, <see cref="IConfigReloader.TryReload"/> (a bad file is logged with its reason and the
/// previous configuration kept), <c>READY=1</c>, then a scan at once. A SIGHUP during a scan is served right after it.</item>
/// <item>SIGTERM (the host's console lifetime) or cancellation: <c>STOPPING=1</c>, the running scan is cancelled.</item>
/// </list>
/// </summary>
internal sealed class GuardWorker : BackgroundService
{
    private readonly IScanRunner runner;
    private readonly IConfigReloader reloader;
    private readonly IServiceNotifier notify;
    private readonly ILogger logger;
    private readonly DaemonOptions options;
    private readonly Channel<bool> reloadRequests =
        Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private PosixSignalRegistration? sighup;

    public GuardWorker(IScanRunner runner, IConfigReloader reloader, IServiceNotifier notify, ILogger logger, DaemonOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Interval, TimeSpan.Zero);
        this.runner = runner;
        this.reloader = reloader;
        this.notify = notify;
        this.logger = logger;
        this.options = options;
    }

    /// <summary>The last scan that finished, or null before the first.</summary>
    public ScanRunSummary? LastSummary { get; private set; }

    /// <summary>An unexpected failure of the worker itself (not of a scan), which ends the daemon.</summary>
    public Exception? Fault { get; private set; }

    /// <summary>What SIGHUP does; several requests before the worker gets to them count as one.</summary>
    internal void RequestReload() => reloadRequests.Writer.TryWrite(true);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.HandleSighup && !OperatingSystem.IsWindows())
        {
            sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                // Without Cancel the runtime would go on to the default action for SIGHUP: terminate.
                context.Cancel = true;
                RequestReload();
            });
        }

        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        notify.Stopping();
        sighup?.Dispose();
        sighup = null;
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        sighup?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Let StartAsync return first: the host must finish starting (and its SIGTERM handling be in place)
            // before a scan that may take minutes.
            await Task.Yield();
            notify.Status("first scan running");
            await ScanAsync(stoppingToken).ConfigureAwait(false);
            notify.Ready();

            while (!stoppingToken.IsCancellationRequested)
            {
                if (await WaitForNextRunAsync(stoppingToken).ConfigureAwait(false))
                {
                    Reload();
                }

                await ScanAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Fault = e;
            logger.Fatal(e, "The daemon stopped after an unexpected error: {Reason}", e.Message);
            throw;
        }
    }

    /// <summary>Waits one interval or until a reload is requested; true for a reload.</summary>
    private async Task<bool> WaitForNextRunAsync(CancellationToken stoppingToken)
    {
        if (reloadRequests.Reader.TryRead(out _))
        {
            return true;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var interval = Task.Delay(options.Interval, options.TimeProvider, wait.Token);
        var reload = reloadRequests.Reader.WaitToReadAsync(wait.Token).AsTask();
        var first = await Task.WhenAny(interval, reload).ConfigureAwait(false);
        await wait.CancelAsync().ConfigureAwait(false);
        stoppingToken.ThrowIfCancellationRequested();
        return first == reload && reloadRequests.Reader.TryRead(out _);
    }

    private void Reload()
    {
        notify.Reloading();
        bool reloaded;
        string? error;
        try
        {
            reloaded = reloader.TryReload(out error);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A reloader is supposed to report, not throw; either way the previous configuration stays.
            reloaded = false;
            error = e.Message;
        }

        if (reloaded)
        {
            logger.Information("Configuration reloaded");
        }
        else
        {
            logger.Error("Configuration reload failed, keeping the previous configuration: {Reason}", error ?? "no reason given");
        }

        notify.Ready();
    }

    private async Task ScanAsync(CancellationToken stoppingToken)
    {
        try
        {
            var summary = await runner.RunOnceAsync(stoppingToken).ConfigureAwait(false);
            LastSummary = summary;
            notify.Status(summary.StatusLine());
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            var now = options.TimeProvider.GetUtcNow();
            logger.Error(e, "Scan failed, next attempt in {IntervalSeconds} s: {Reason}", (long)options.Interval.TotalSeconds, e.Message);
            var failed = string.Create(CultureInfo.InvariantCulture, $"scan at {ScanRunSummary.Timestamp(now)} failed: {e.Message}");
            notify.Status(LastSummary is null ? failed : LastSummary.StatusLine() + "; " + failed);
        }
    }
}
