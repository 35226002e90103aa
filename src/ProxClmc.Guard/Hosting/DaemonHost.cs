using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;

namespace ProxClmc.Guard.Hosting;

/// <summary>
/// Runs the <c>daemon</c> verb: a Microsoft.Extensions.Hosting host with one <see cref="GuardWorker"/>, stopped by
/// SIGTERM/SIGINT (the host's console lifetime) or <paramref name="cancellationToken"/>.
/// <para>
/// Not <c>UseSystemd()</c>: its lifetime sends <c>READY=1</c> as soon as the host has started, before the first scan,
/// and reads <c>NOTIFY_SOCKET</c> from the process only. The worker notifies systemd itself (<see cref="IServiceNotifier"/>);
/// the unit is <c>Type=notify</c> either way. Services are registered as instances: no reflection, NativeAOT-safe.
/// </para>
/// </summary>
internal static class DaemonHost
{
    /// <summary>Exit code when the worker itself failed (not a scan): "could not determine", and systemd restarts it.</summary>
    public const int WorkerFailedExitCode = 3;

    /// <param name="notify">The service manager's notifications (the composition root's sd_notify over <see cref="DaemonOptions.Environment"/>); disposed at the end.</param>
    /// <returns>0 after a clean stop; <see cref="WorkerFailedExitCode"/> when the worker failed.</returns>
    public static async Task<int> RunAsync(IScanRunner runner, IConfigReloader reloader, IServiceNotifier notify, DaemonOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(reloader);
        ArgumentNullException.ThrowIfNull(notify);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);

        using var owned = notify;
        using var worker = new GuardWorker(runner, reloader, notify, logger, options);
        return await RunWorkerAsync(worker, options, logger, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<int> RunWorkerAsync(GuardWorker worker, DaemonOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.Configure<ConsoleLifetimeOptions>(lifetime => lifetime.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(host =>
        {
            host.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
            // Below the units' TimeoutStopSec=30s, so a scan that ignores cancellation is abandoned before systemd kills us.
            host.ShutdownTimeout = TimeSpan.FromSeconds(20);
        });
        builder.Services.AddSingleton<IHostedService>(worker);

        using var host = builder.Build();
        logger.Information("Daemon started, scanning every {IntervalSeconds} s", (long)options.Interval.TotalSeconds);
        await host.RunAsync(cancellationToken).ConfigureAwait(false);
        logger.Information("Daemon stopped");
        return worker.Fault is null ? 0 : WorkerFailedExitCode;
    }
}
