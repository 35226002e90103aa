using System.CommandLine;
using System.Globalization;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Application.Scanning;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Pipeline;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Commands;

/// <summary>
/// <c>--to-cluster REMOTE</c> on <c>check</c>, <c>scan</c> and <c>baseline</c>: this cluster's guests judged against
/// another cluster's nodes, before a <c>qm remote-migrate</c> (or a move in Proxmox Datacenter Manager). Proxmox
/// checks nothing about the CPU before such a move, apart from custom models (see <see cref="CrossClusterJudge"/>).
/// </summary>
public static class ToClusterCommand
{
    public static Option<string?> Option() => new("--to-cluster")
    {
        Description = "Judge against another cluster (for qm remote-migrate): a [remote.<name>] section, a snapshot folder, or a config file describing it",
        HelpName = "remote",
    };

    /// <summary>The other cluster: its nodes and facts, and its custom models (null when they could not be read).</summary>
    private sealed record Remote(RunSettings Settings, ClusterAnalysis Cluster, CustomCpuModels? Models)
    {
        public string Name => Settings.RemoteName ?? "the other cluster";
    }

    private static async Task<Remote> ReadRemoteAsync(CommandContext ctx, string remote, bool withModels, CancellationToken cancellationToken)
    {
        var settings = RemoteCluster.Resolve(remote, ctx.Settings, ctx.Environment.FileSystem);
        var pipeline = ctx.CreatePipelineFor(settings);
        var cluster = await pipeline.AnalyzeAsync(cancellationToken).ConfigureAwait(false);
        if (!withModels)
        {
            return new Remote(settings, cluster, null);
        }

        // The remote's guests are read only for its custom models (the API gives them with the guest list).
        var inventory = await pipeline.Sources.Guests.GetGuestsAsync(cancellationToken).ConfigureAwait(false);
        // A folder without cpu-models.conf defines none; an API that gives no definitions (before 9.1.15) leaves them unknown.
        var models = inventory.CustomCpuModelsText is not null
            ? GuardPipeline.ParseCustomModels(inventory).WithUnresolved(inventory.UnresolvedCustomModels)
            : settings.From is not null ? CustomCpuModels.Empty : null;
        return new Remote(settings, cluster, models);
    }

    /// <summary><c>scan --to-cluster</c>: one line per guest of this cluster, can go or cannot go, with the other cluster's nodes.</summary>
    public static async Task<int> ScanAsync(CommandContext ctx, string remoteName, ScanFilter filter, CancellationToken cancellationToken)
    {
        var local = await ctx.CreatePipeline().ScanAsync(cancellationToken).ConfigureAwait(false);
        filter.Validate(local);
        foreach (var warning in local.Inventory.Warnings)
        {
            ctx.Log.Warning("{Warning}", warning);
        }

        var remote = await ReadRemoteAsync(ctx, remoteName, withModels: true, cancellationToken).ConfigureAwait(false);
        var judge = new CrossClusterJudge(remote.Cluster.Baseline, CpuCatalog.Default, ctx.Settings.Policy, local.CustomModels, remote.Models, remote.Name);
        var now = ctx.Environment.Clock.GetUtcNow();
        var report = filter.Apply(judge.EvaluateAll(local.Inventory.Guests, now));
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
            throw new GuardExitException(exitCode, $"{ids.Count} guest{(ids.Count == 1 ? "" : "s")} cannot go to every node of {remote.Name}: {listed}");
        }

        throw new GuardExitException(exitCode, ScanCommand.WhyLine(remote.Cluster, report, exitCode));
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

        var local = await ctx.CreatePipeline().ScanAsync(cancellationToken).ConfigureAwait(false);
        var guest = local.Inventory.Guests.FirstOrDefault(g => g.VmId == vmId)
            ?? throw new UsageException($"VM {vmId}: no such guest in the cluster ({local.Cluster.SourceDescription})");
        var remote = await ReadRemoteAsync(ctx, remoteName, withModels: true, cancellationToken).ConfigureAwait(false);
        var remoteNodes = remote.Cluster.Membership.Nodes.Select(n => n.Name).ToList();
        if (target is not null && !remoteNodes.Contains(target))
        {
            throw new UsageException($"--target {target}: no such node in {remote.Name} ({string.Join(", ", remoteNodes)})");
        }

        var judge = new CrossClusterJudge(remote.Cluster.Baseline, CpuCatalog.Default, ctx.Settings.Policy, local.CustomModels, remote.Models, remote.Name);
        var verdict = judge.Evaluate(guest);
        var comparison = judge.CompareCustomModel(guest);
        var nodes = target is null ? remoteNodes : [target];
        var answers = nodes.Select(n => Answer(guest, n, local, remote, comparison, verdict, ctx.Settings.Policy)).ToList();

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
            ExitCodes.Unsafe => throw new GuardExitException(exitCode, $"VM {vmId} cannot run on {(target is null ? $"any node of {remote.Name}" : target)}"),
            ExitCodes.Unknown => throw new GuardExitException(exitCode, $"VM {vmId}: cannot tell for {string.Join(", ", unknown)} of {remote.Name}" + (can.Count > 0 ? " (use --allow-partial to answer for the nodes that were read)" : "")),
            _ when can.Count < answers.Count => throw new GuardExitException(exitCode, $"VM {vmId} can run only on {string.Join(", ", can.Select(a => a.Target))} of {remote.Name}, not on {string.Join(", ", refused.Concat(unknown))}"),
            _ => throw new GuardExitException(exitCode, $"VM {vmId} probably runs on {string.Join(", ", unverified)} of {remote.Name}, but that cannot be verified: {can.First(a => a.Verdict == Verdict.Unverified).Reason.Replace("probably: ", "", StringComparison.Ordinal)}"),
        };
    }

    private static MigrationAnswer Answer(GuestConfig guest, string node, ScanResult local, Remote remote, CustomModelComparison? comparison, GuestVerdict verdict, GuardPolicy policy)
    {
        switch (comparison?.Match)
        {
            case CustomModelMatch.Missing:
            case CustomModelMatch.Different:
                return new MigrationAnswer(node, false, verdict.Reason, verdict.Verdict);
            case CustomModelMatch.Unknown:
                return new MigrationAnswer(node, null, verdict.Reason, Verdict.Unverified);
        }

        // The pair (the VM's node here, that node there), as check judges a pair inside one cluster: named models
        // against the target alone, host/max against both CPUs, phys-bits=host against both widths. Names of the two
        // clusters may coincide: the source is given a name no node there can have.
        var source = $"{guest.Node} (here)";
        var facts = remote.Cluster.Facts.ToList();
        if (local.Cluster.Facts.FirstOrDefault(f => f.Node == guest.Node) is { } sourceFacts)
        {
            facts.Add(sourceFacts with { Node = source });
        }

        var advisor = new MigrationAdvisor(facts, CpuCatalog.Default, policy, remote.Models ?? CustomCpuModels.Empty);
        var answer = advisor.Check(guest with { Node = source }, node);
        return answer;
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
        var local = await ctx.CreatePipeline().AnalyzeAsync(cancellationToken).ConfigureAwait(false);
        var remote = await ReadRemoteAsync(ctx, remoteName, withModels: false, cancellationToken).ConfigureAwait(false);
        var prefix = remote.Name + "/";
        var nodes = local.Membership.Nodes.Concat(remote.Cluster.Membership.Nodes.Select(n => n with { Name = prefix + n.Name })).ToList();
        var facts = local.Facts.Concat(remote.Cluster.Facts.Select(f => f with { Node = prefix + f.Node })).ToList();
        var membership = new ClusterMembership($"{local.Membership.ClusterName ?? "this cluster"} + {remote.Cluster.Membership.ClusterName ?? remote.Name}", nodes);
        if (ctx.Settings.Format == OutputFormat.Table && !listOnly)
        {
            ctx.Out.WriteLine($"Both clusters, for guests that move back and forth: this one ({CpuCatalog.LevelName(local.Baseline.Level)} alone) and {remote.Name} ({CpuCatalog.LevelName(remote.Cluster.Baseline.Level)} alone)");
        }

        // The combined cluster goes through baseline's own rendering and exit codes, as a source that has already been read.
        var combined = new ClusterSources(new FixedMembership(membership), new FixedFacts(facts), new NotANodeGuestSource(ctx.Settings.PveRoot), $"this cluster ({local.SourceDescription}) and {remote.Name} ({remote.Cluster.SourceDescription})");
        using var context = new CommandContext(ctx.Environment, ctx.Settings with { AssumeNodes = [], WithoutNodes = [] }, ctx.Log, new FixedSourceFactory(combined), ctx.LogVerdicts);
        return await BaselineCommand.ExecuteAsync(context, listOnly, cancellationToken).ConfigureAwait(false);
    }

    private sealed class FixedMembership(ClusterMembership membership) : IMembershipSource
    {
        public Task<ClusterMembership> GetMembershipAsync(CancellationToken cancellationToken) => Task.FromResult(membership);
    }

    private sealed class FixedFacts(IReadOnlyList<NodeFacts> facts) : INodeFactsSource
    {
        public Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<NodeFacts>>(facts.Where(f => membership.Nodes.Any(n => n.Name == f.Node)).ToList());
    }

    private sealed class FixedSourceFactory(ClusterSources sources) : ISourceFactory
    {
        public ClusterSources Create(RunSettings settings) => sources;
    }
}
