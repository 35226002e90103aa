using System.CommandLine;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Hosting;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Commands;

/// <summary>
/// <c>daemon</c>: the long-running worker (systemd Type=notify). Scans every <c>daemon.interval_seconds</c>,
/// writes the report files, tells systemd READY/STATUS/STOPPING, and reloads the configuration on SIGHUP.
/// </summary>
internal static class DaemonCommand
{
    public static Command Create(VerbRunner cli, Func<RunSettings, ISourceFactory> sourceFactory)
    {
        var command = new Command("daemon", "Run as a long-lived worker: scan every daemon.interval_seconds, log to the journal, write the reports");
        command.SetAction((parse, ct) => cli.RunAsync(parse, ctx =>
        {
            if (ctx.Settings.Format != OutputFormat.Table)
            {
                throw new UsageException("daemon writes its reports to the [report] files (JSON and Prometheus); --format does not apply to it");
            }

            var current = ctx.Settings;
            var reloader = new SettingsReloader(() => SettingsLoader.Load(ctx.Environment, parse, cli.Global), s => current = s);
            var env = ctx.Environment;
            var log = ctx.Log;
            var scans = CompositionRoot.ScheduledScan(s => sourceFactory(s).Create(s), env, log, found =>
            {
                // The changes first: the scan's summary line is its last entry.
                if (found.Changes is { } changes)
                {
                    ChangeLog.Write(log, changes);
                }

                ScanLog.Write(log, found.Report);
            });
            var runner = new GuardScanRunner(() => current, scans, env.Clock);
            return DaemonHost.RunAsync(
                runner,
                reloader,
                CompositionRoot.ServiceNotifier(env.GetEnvironmentVariable),
                new DaemonOptions { Interval = current.Config.Daemon.Interval, TimeProvider = ctx.Environment.Clock, Environment = ctx.Environment.GetEnvironmentVariable },
                ctx.Log,
                ct);
        }));
        return command;
    }

    /// <summary>Re-reads the configuration; a broken file keeps the old settings (the worker logs why).</summary>
    private sealed class SettingsReloader(Func<RunSettings> load, Action<RunSettings> apply) : IConfigReloader
    {
        public bool TryReload(out string? error)
        {
            try
            {
                apply(load());
                error = null;
                return true;
            }
            catch (GuardConfigurationException e)
            {
                error = e.Message;
                return false;
            }
            catch (UsageException e)
            {
                error = e.Message;
                return false;
            }
            catch (InvalidRequestException e)
            {
                error = e.Message;
                return false;
            }
        }
    }
}
