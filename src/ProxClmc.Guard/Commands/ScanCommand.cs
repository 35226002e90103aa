using System.CommandLine;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Application.ScheduledScan;
using ProxClmc.Guard.Application.Scanning;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Commands;

/// <summary><c>scan</c>: the baseline, then one verdict per guest, unsafe guests first.</summary>
internal static class ScanCommand
{
    public static Command Create(VerbRunner cli)
    {
        var vmid = new Option<int[]>("--vmid") { Description = "Only these VM ids (repeatable)", HelpName = "id" };
        var node = new Option<string[]>("--node") { Description = "Only guests on these nodes (repeatable)", HelpName = "name" };
        var tag = new Option<string[]>("--tag") { Description = "Only guests with one of these tags (repeatable)", HelpName = "tag" };
        var writeReports = new Option<bool>("--write-reports")
        {
            Description = "Also replace the [report] json_file, prometheus_textfile and html_file (as the timer unit does)",
        };
        var oncePerCluster = new Option<bool>("--once-per-cluster")
        {
            Description = "Scan only on the node holding the cluster scan lock, once per [daemon] interval_seconds; other nodes exit 0 quietly (the timer unit passes it)",
        };
        var toCluster = ToClusterCommand.Option();
        var state = new Option<string>("--state")
        {
            Description = "The state file this scan compares with and records (default: [history] state_file, else <pve_root>/proxclmc-guard/state.json on a node; none for --from)",
            HelpName = "file",
        };
        var command = new Command("scan", "Judge every guest's CPU type against the cluster baseline");
        command.Options.Add(oncePerCluster);
        command.Options.Add(toCluster);
        command.Options.Add(vmid);
        command.Options.Add(node);
        command.Options.Add(tag);
        command.Options.Add(writeReports);
        command.Options.Add(state);
        command.SetAction((parse, ct) => cli.RunAsync(parse, ctx =>
        {
            var filter = new ScanFilter(parse.GetValue(vmid) ?? [], parse.GetValue(node) ?? [], parse.GetValue(tag) ?? []);
            if (parse.GetValue(toCluster) is { } remote)
            {
                return parse.GetValue(oncePerCluster) || parse.GetValue(writeReports)
                    ? throw new UsageException("scan --to-cluster answers a question about another cluster; it takes neither --once-per-cluster nor --write-reports")
                    : ToClusterCommand.ScanAsync(ctx, remote, filter, ct);
            }

            var stateFile = parse.GetValue(state) is { } given
                ? given.Length > 0 ? Path.GetFullPath(given) : throw new UsageException("--state: expected a file name")
                : ctx.Settings.StateFile;
            return parse.GetValue(oncePerCluster)
                ? OncePerClusterAsync(ctx, filter, ct, parse.GetValue(writeReports), stateFile)
                : ExecuteAsync(ctx, filter, ct, parse.GetValue(writeReports), stateFile);
        }));
        return command;
    }

    /// <summary>The timer's scan: only on the node whose turn it is (the cluster lock, <see cref="ScanTurnUseCase"/>).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1068", Justification = "writeReports and stateFile follow the token so that the state file stays optional.")]
    public static async Task<int> OncePerClusterAsync(CommandContext ctx, ScanFilter filter, CancellationToken cancellationToken, bool writeReports, string? stateFile = null)
    {
        if (ctx.Settings.From is not null)
        {
            throw new UsageException("scan --once-per-cluster takes turns through the live cluster's lock; it cannot be combined with --from");
        }

        var localNode = ctx.Settings.LocalNode ?? ctx.Environment.HostName();
        var pipeline = ctx.CreatePipeline();
        var scan = CompositionRoot.Scan(pipeline, ctx.Environment.Clock, ctx.Log);
        var turn = await CompositionRoot.ScanTurn(ctx.Settings, ctx.Sources, scan, ctx.Environment.Clock, ctx.Log).RunAsync(
            new ScanTurnRequest(new ScanRequest(filter) { StateFile = stateFile ?? ctx.Settings.StateFile, WriteReports = writeReports }, localNode, ctx.Settings.Config.Daemon.Interval),
            cancellationToken).ConfigureAwait(false);
        if (turn.StoppedAfter is { } limit)
        {
            // As Proxmox's cfs_lock stops its locked commands after 60 s: pmxcfs lets another node take the lock at 120 s.
            return ctx.Exit(ExitCodes.Unknown, $"the scan held the cluster scan lock for {limit.TotalSeconds:0} s and was stopped (pmxcfs lets another node take a lock older than 120 s); the next turn scans again");
        }

        return turn.Scan is { } found ? Render(ctx, pipeline, found) : ExitCodes.Ok;
    }

    /// <param name="stateFile">The state to compare with and record (null: none).</param>
    public static async Task<int> ExecuteAsync(CommandContext ctx, ScanFilter filter, CancellationToken cancellationToken, bool writeReports = false, string? stateFile = null)
    {
        var pipeline = ctx.CreatePipeline();
        var found = await CompositionRoot.Scan(pipeline, ctx.Environment.Clock, ctx.Log)
            .RunAsync(new ScanRequest(filter) { StateFile = stateFile, WriteReports = writeReports }, cancellationToken).ConfigureAwait(false);
        return Render(ctx, pipeline, found);
    }

    /// <summary>The scan in the chosen format, the journal's entries, and the exit code (with its one line when not 0).</summary>
    private static int Render(CommandContext ctx, GuardPipeline pipeline, ScanRunResult found)
    {
        var result = found.Scan;
        var report = found.Report;
        var changes = found.Changes;
        var now = found.At;
        var exitCode = ScanExitCodes.Of(found.Outcome);
        switch (ctx.Settings.Format)
        {
            case OutputFormat.Json:
                if (ctx.Environment.OpenStandardOutput is { } open)
                {
                    ctx.Out.Flush();
                    using var stdout = open();
                    JsonReport.Write(stdout, result.Cluster, report, exitCode, now, changes);
                }
                else
                {
                    ctx.Out.Write(JsonReport.Render(result.Cluster, report, exitCode, now, changes));
                }

                break;
            case OutputFormat.Prometheus:
                ctx.Out.Write(PrometheusReport.Render(result.Cluster, report, now, changes));
                break;
            case OutputFormat.Html:
                HtmlReport.Write(ctx.Out, result, report, NodeMatrix.Compute(result, pipeline.Catalog, ctx.Settings.Policy), ReportChanges.Of(changes), now);
                break;
            default:
                var table = new TableRenderer(ctx.Out, ctx.Environment.OutputWidth, shorten: !ctx.Settings.Verbose);
                table.WriteBaseline(result.Cluster);
                table.WriteGuests(report);
                if (changes is not null)
                {
                    table.WriteChanges(changes);
                }

                break;
        }

        if (ctx.LogVerdicts)
        {
            // The changes first: the scan's summary line is its last entry.
            if (changes is not null)
            {
                ChangeLog.Write(ctx.Log, changes);
            }

            ScanLog.Write(ctx.Log, report);
        }

        return exitCode == ExitCodes.Ok ? exitCode : ctx.Exit(exitCode, WhyLine(result.Cluster, report, exitCode, changes));
    }

    /// <summary>How many unsafe guests the exit line names before "and N more".</summary>
    public const int MaxListedGuests = 20;

    /// <summary>The one line every non-zero exit prints.</summary>
    public static string WhyLine(ClusterAnalysis cluster, ComplianceReport report, int exitCode, CpuChanges? changes = null)
    {
        if (exitCode == ExitCodes.Warning && changes is { HasWarning: true })
        {
            var warnings = changes.Changes.Where(c => c.IsWarning).ToList();
            var line = $"the cluster's CPU changed since {TableRenderer.Time(changes.Since!.Value)}: {warnings[0].Describe()}" + (warnings.Count > 1 ? $" (and {warnings.Count - 1} more)" : "");
            return report.WarningCount > 0 ? $"{line}; {WhyLine(cluster, report, exitCode)}" : line;
        }

        var invalid = report.InvalidConfigs.ToList();
        if (exitCode == ExitCodes.Unknown && invalid.Count > 0)
        {
            // A cpu value read through the API has no file line, so its reason does not say which guest: name it.
            var first = invalid[0];
            var where = first.Guest.Origin ?? $"VM {first.Guest.VmId}";
            var reason = first.Reason.Contains(where, StringComparison.Ordinal) ? first.Reason : $"{where}: {first.Reason}";
            return $"{invalid.Count} guest config{(invalid.Count == 1 ? "" : "s")} could not be read: {reason}" + (invalid.Count > 1 ? $" (and {invalid.Count - 1} more)" : "");
        }

        if (exitCode == ExitCodes.Unknown && cluster.Baseline.UnreadableNodes.Count == 0 && report.NotRead.Any())
        {
            var nodes = report.NotRead.Select(v => v.Guest.Node).Distinct().Order(StringComparer.Ordinal).ToList();
            return $"could not read the guests on {string.Join(", ", nodes)} ({report.NotRead.Count()} not read; use --allow-partial to judge the other guests)";
        }

        if (exitCode == ExitCodes.Unknown)
        {
            return $"could not read {string.Join(", ", cluster.Baseline.UnreadableNodes)} (use --allow-partial to judge against the other nodes)";
        }

        if (exitCode == ExitCodes.Unsafe)
        {
            var ids = report.Verdicts.Where(v => v.Verdict.IsUnsafe()).Select(v => v.Guest.VmId.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
            var nodes = cluster.Baseline.NodesBelowPin.Count > 0 ? $"; nodes below the pinned baseline: {string.Join(", ", cluster.Baseline.NodesBelowPin)}" : "";
            // A monitoring plugin's status line: on a cluster with thousands of unsafe guests, name the first few.
            var listed = ids.Count <= MaxListedGuests ? string.Join(", ", ids) : $"{string.Join(", ", ids.Take(MaxListedGuests))} and {ids.Count - MaxListedGuests} more";
            return $"{ids.Count} guest{(ids.Count == 1 ? " is" : "s are")} not safe to live-migrate everywhere: {listed}{nodes}";
        }

        return $"{report.WarningCount} guest{(report.WarningCount == 1 ? "" : "s")} with warnings" + (cluster.Baseline.IsPartial ? $"; partial baseline ({string.Join(", ", cluster.Baseline.UnreadableNodes)} not read)" : "");
    }
}
