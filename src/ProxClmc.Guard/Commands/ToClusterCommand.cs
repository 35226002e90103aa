using System.CommandLine;
using System.Globalization;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Application.ToCluster;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Pipeline;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Commands;

/// <summary>
/// <c>--to-cluster REMOTE</c> on <c>check</c>, <c>scan</c> and <c>baseline</c>: this cluster's guests judged against
/// another cluster's nodes, before a <c>qm remote-migrate</c> (or a move in Proxmox Datacenter Manager). Proxmox
/// checks nothing about the CPU before such a move, apart from custom models (see <see cref="CrossClusterJudge"/>).
/// The reading and judging is <see cref="ToClusterJudging"/>'s; this renders and maps the answer to an exit code.
/// </summary>
public static class ToClusterCommand
{
    public static Option<string?> Option() => new("--to-cluster")
    {
        Description = "Judge against another cluster (for qm remote-migrate): a [remote.<name>] section, a snapshot folder, or a config file describing it",
        HelpName = "remote",
    };

    /// <summary><c>scan --to-cluster</c>: one line per guest of this cluster, can go or cannot go, with the other cluster's nodes.</summary>
    public static async Task<int> ScanAsync(CommandContext ctx, string remoteName, ScanFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var request = new ToClusterScanRequest(remoteName) { ValidateLocal = filter.Validate, Filter = filter.Apply };
        var (local, remote, report, now) = await CompositionRoot.ToCluster(ctx).ScanAsync(request, cancellationToken).ConfigureAwait(false);
        var exitCode = report.ExitCode(ctx.Settings.AllowPartial);

        switch (ctx.Settings.Format)
        {
            case OutputFormat.Json:
                // The scan document, with the other cluster as its cluster: its nodes, its baseline, and per guest a fit per node there.
                ctx.Out.Write(JsonReport.Render(remote.Cluster, report, exitCode, now));
                break;
            case OutputFormat.Prometheus:
                ctx.Out.Write(PrometheusReport.Render(remote.Cluster, report, now));
                break;
            default:
                new TableRenderer(ctx.Out, ctx.Environment.OutputWidth, shorten: !ctx.Settings.Verbose).WriteBaseline(remote.Cluster);
                ctx.Out.WriteLine();
                ctx.Out.WriteLine($"Guests of this cluster ({local.Cluster.SourceDescription}) moving to {remote.Name}:");
                WriteGuestLines(ctx, report, remote.Cluster);
                ctx.Out.WriteLine(TableRenderer.Summary(report));
                break;
        }

        if (ctx.LogVerdicts)
        {
            ScanLog.Write(ctx.Log, report);
        }

        if (exitCode == ExitCodes.Ok)
        {
            return exitCode;
        }

        if (exitCode == ExitCodes.Unsafe)
        {
            var ids = report.Verdicts.Where(v => v.Verdict.IsUnsafe()).Select(v => v.Guest.VmId.ToString(CultureInfo.InvariantCulture)).ToList();
            var listed = ids.Count <= ScanCommand.MaxListedGuests ? string.Join(", ", ids) : $"{string.Join(", ", ids.Take(ScanCommand.MaxListedGuests))} and {ids.Count - ScanCommand.MaxListedGuests} more";
            return ctx.Exit(exitCode, $"{ids.Count} guest{(ids.Count == 1 ? "" : "s")} cannot go to every node of {remote.Name}: {listed}");
        }

        return ctx.Exit(exitCode, ScanCommand.WhyLine(remote.Cluster, report, exitCode));
    }

    private static void WriteGuestLines(CommandContext ctx, ComplianceReport report, ClusterAnalysis remote)
    {
        var verdicts = report.Verdicts;
        var nameWidth = Math.Min(Math.Max(4, verdicts.Select(v => (v.Guest.Name ?? "-").Length).DefaultIfEmpty(0).Max()), ctx.Settings.Verbose ? int.MaxValue : Math.Max(10, ctx.Width / 6));
        var cpuWidth = Math.Min(Math.Max(3, verdicts.Select(v => CheckCommand.Describe(v.Guest).Length).DefaultIfEmpty(0).Max()), ctx.Settings.Verbose ? int.MaxValue : Math.Max(16, ctx.Width / 5));
        foreach (var verdict in verdicts)
        {
            var guest = verdict.Guest;
            var name = ctx.Settings.Verbose ? guest.Name ?? "-" : TableWidth.Shorten(guest.Name ?? "-", nameWidth);
            var cpu = ctx.Settings.Verbose ? CheckCommand.Describe(guest) : TableWidth.Shorten(CheckCommand.Describe(guest), cpuWidth);
            var (status, detail) = Line(verdict, remote);
            ctx.WriteRow($"  {guest.VmId.ToString(CultureInfo.InvariantCulture),-6} {name.PadRight(nameWidth)} {cpu.PadRight(cpuWidth)}  {status,-13} {detail}");
        }
    }

    /// <summary>Can go, can go to some nodes only, or cannot go; with the nodes and, for the others, what they lack.</summary>
    internal static (string Status, string Detail) Line(GuestVerdict verdict, ClusterAnalysis remote)
    {
        switch (verdict.Verdict)
        {
            case Verdict.Ignored:
                return ("ignored", verdict.Reason);
            case Verdict.InvalidConfig:
                return ("cannot tell", verdict.Reason);
            case Verdict.NotApplicable:
                return ("can go", verdict.Reason);
        }

        if (verdict.Guest.NotReadReason is not null)
        {
            return ("cannot tell", verdict.Reason);
        }

        var fits = Fits(verdict, remote);
        var can = fits.Where(f => f.CanRun == true).Select(f => f.Node).ToList();
        var cannot = fits.Where(f => f.CanRun == false).ToList();
        var unread = fits.Where(f => f.CanRun is null).Select(f => f.Node).ToList();
        var notRead = unread.Count > 0 ? $" ({string.Join(", ", unread)} not read)" : "";
        var why = string.Join("; ", cannot.Select(f => f.Reason.StartsWith(f.Node, StringComparison.Ordinal) ? f.Reason : $"{f.Node}: {f.Reason}"));
        if (cannot.Count == 0 && can.Count == 0)
        {
            return ("cannot tell", verdict.Reason);
        }

        if (cannot.Count == 0 && verdict.Verdict is Verdict.Ok)
        {
            return ("can go", $"to {string.Join(", ", can)}{notRead}");
        }

        if (cannot.Count == 0)
        {
            return ("can go?", $"to {string.Join(", ", can)}{notRead}: {verdict.Reason}");
        }

        if (can.Count == 0)
        {
            return ("CANNOT GO", fits.Any(f => f.Reason.Length > 0 && f.CanRun == false) && verdict.Verdict != Verdict.UnknownModel && verdict.Verdict != Verdict.HostCpu ? why : verdict.Reason);
        }

        return ("only to some", $"to {string.Join(", ", can)}; not {why}{notRead}");
    }

    /// <summary>Per node of the other cluster: the verdict's own fits, or the verdict itself when it judged no node separately.</summary>
    private static IReadOnlyList<NodeFit> Fits(GuestVerdict verdict, ClusterAnalysis remote)
    {
        if (verdict.Fits.Count > 0)
        {
            return verdict.Fits;
        }

        bool? all = verdict.Verdict switch
        {
            Verdict.Ok or Verdict.Unverified => true,
            Verdict.ExceedsBaseline or Verdict.HostCpu or Verdict.UnknownModel => false,
            _ => null,
        };
        return remote.Baseline.Nodes
            .Select(n => new NodeFit(n.Node, n.IsReadable ? all : null, [], false, [], n.IsReadable ? (all == true ? "" : verdict.Reason) : $"CPU facts of {n.Node} unavailable: {n.Facts.Error}"))
            .ToList();
    }

    /// <summary>
    /// <c>check &lt;vmid&gt; --to-cluster</c>: per node of the other cluster (or only <c>--target</c>), can this VM run
    /// there? Exit 0 when the target (without one: every node) can, 1 when only some nodes can, 2 when none can.
    /// </summary>
    public static async Task<int> CheckAsync(CommandContext ctx, string remoteName, int vmId, string? target, CancellationToken cancellationToken)
    {
        if (ctx.Settings.Format == OutputFormat.Prometheus)
        {
            throw new UsageException("check --format prometheus: a check has no metrics; use table or json");
        }

        var checkedVm = await CompositionRoot.ToCluster(ctx).CheckAsync(new ToClusterCheckRequest(remoteName, vmId, target), cancellationToken).ConfigureAwait(false);
        var (guest, _, remote, verdict, comparison, answers) = checkedVm;

        var can = answers.Where(a => a.Allowed == true).ToList();
        var unknown = answers.Where(a => a.Allowed is null).Select(a => a.Target).ToList();
        var refused = answers.Where(a => a.IsRefused).Select(a => a.Target).ToList();
        var unverified = can.Where(a => a.Verdict == Verdict.Unverified).Select(a => a.Target).ToList();
        var exitCode =
            can.Count == answers.Count ? (unverified.Count > 0 ? ExitCodes.Warning : ExitCodes.Ok)
            : unknown.Count > 0 && (can.Count == 0 || !ctx.Settings.AllowPartial) ? ExitCodes.Unknown
            : can.Count == 0 ? ExitCodes.Unsafe
            : ExitCodes.Warning;

        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(CheckJson.Check(guest, CheckCommand.Describe(guest), answers, verdict, exitCode));
        }
        else
        {
            ctx.Out.WriteLine($"VM {vmId} ({guest.Name ?? "-"}) on {guest.Node}, cpu: {CheckCommand.Describe(guest)}; to {remote.Name} ({remote.Cluster.SourceDescription})");
            var width = Math.Max(4, answers.Max(a => a.Target.Length));
            foreach (var answer in answers)
            {
                ctx.WriteRow($"  {answer.Target.PadRight(width)}  {State(answer),-10}  {answer.Reason}");
            }

            WriteCustomModel(ctx, comparison, remote.Name);
        }

        return exitCode switch
        {
            ExitCodes.Ok => exitCode,
            ExitCodes.Unsafe => ctx.Exit(exitCode, $"VM {vmId} cannot run on {(target is null ? $"any node of {remote.Name}" : target)}"),
            ExitCodes.Unknown => ctx.Exit(exitCode, $"VM {vmId}: cannot tell for {string.Join(", ", unknown)} of {remote.Name}" + (can.Count > 0 ? " (use --allow-partial to answer for the nodes that were read)" : "")),
            _ when can.Count < answers.Count => ctx.Exit(exitCode, $"VM {vmId} can run only on {string.Join(", ", can.Select(a => a.Target))} of {remote.Name}, not on {string.Join(", ", refused.Concat(unknown))}"),
            _ => ctx.Exit(exitCode, $"VM {vmId} probably runs on {string.Join(", ", unverified)} of {remote.Name}, but that cannot be verified: {can.First(a => a.Verdict == Verdict.Unverified).Reason.Replace("probably: ", "", StringComparison.Ordinal)}"),
        };
    }

    private static void WriteCustomModel(CommandContext ctx, CustomModelComparison? comparison, string remote)
    {
        switch (comparison?.Match)
        {
            case CustomModelMatch.Missing:
                ctx.Out.WriteLine($"custom-{comparison.Name} is not defined on {remote}. Create it there, in /etc/pve/virtual-guest/cpu-models.conf (or under Datacenter > Custom CPU models), as here:");
                ctx.Out.Write(CrossClusterJudge.Section(comparison.Here!));
                break;
            case CustomModelMatch.Different:
                ctx.Out.WriteLine($"custom-{comparison.Name} is defined differently on {remote} (Proxmox refuses the migration until both are the same).");
                ctx.Out.WriteLine("Here:");
                ctx.Out.Write(CrossClusterJudge.Section(comparison.Here!));
                ctx.Out.WriteLine($"On {remote}:");
                ctx.Out.Write(CrossClusterJudge.Section(comparison.There!));
                break;
        }
    }

    private static string State(MigrationAnswer answer) => answer.Allowed switch
    {
        true => "can run",
        false => "CANNOT",
        null => "unknown",
    };

    /// <summary>
    /// <c>baseline --to-cluster</c>: the CPU type both clusters can run (for guests that move back and forth), from
    /// every node of both, rendered as <c>baseline</c> renders one cluster. The other cluster's nodes are named
    /// <c>&lt;remote&gt;/&lt;node&gt;</c>, since node names need not differ between clusters.
    /// </summary>
    public static async Task<int> BaselineAsync(CommandContext ctx, string remoteName, bool listOnly, CancellationToken cancellationToken)
    {
        var (local, remote, combined) = await CompositionRoot.ToCluster(ctx).BaselineAsync(remoteName, new NotANodeGuestSource(ctx.Settings.PveRoot), cancellationToken).ConfigureAwait(false);
        if (ctx.Settings.Format == OutputFormat.Table && !listOnly)
        {
            ctx.Out.WriteLine($"Both clusters, for guests that move back and forth: this one ({CpuCatalog.LevelName(local.Baseline.Level)} alone) and {remote.Name} ({CpuCatalog.LevelName(remote.Cluster.Baseline.Level)} alone)");
        }

        // The combined cluster goes through baseline's own rendering and exit codes, as a source that has already been read.
        using var context = new CommandContext(ctx.Environment, ctx.Settings with { AssumeNodes = [], WithoutNodes = [] }, ctx.Log, new FixedSourceFactory(combined), ctx.LogVerdicts);
        return await BaselineCommand.ExecuteAsync(context, listOnly, cancellationToken).ConfigureAwait(false);
    }

    private sealed class FixedSourceFactory(ClusterSources sources) : ISourceFactory
    {
        public ClusterSources Create(RunSettings settings) => sources;
    }
}
