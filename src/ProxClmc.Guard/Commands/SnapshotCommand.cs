using System.CommandLine;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Snapshot;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Core.Compliance;

namespace ProxClmc.Guard.Commands;

/// <summary>
/// <c>snapshot --out &lt;dir&gt;</c>: writes DESIGN.md's offline format from the live sources of the current settings
/// (or copies a <c>--from</c> tree), so that a later <c>scan --from &lt;dir&gt;</c> gives the live verdicts.
/// </summary>
public static class SnapshotCommand
{
    public static Command Create(GuardCli cli)
    {
        var output = new Option<string>("--out")
        {
            Description = "The folder to write (created if missing; must be empty)",
            HelpName = "dir",
            Required = true,
        };
        var command = new Command(
            "snapshot",
            "Write an offline snapshot of the cluster (corosync.conf, VM configs, cpu-models.conf, each node's /proc/cpuinfo, manifest.json) for audits, support and what-if runs");
        command.Options.Add(output);
        command.SetAction((parse, ct) => cli.RunAsync(parse, ctx => ExecuteAsync(ctx, parse.GetValue(output)!, ct)));
        return command;
    }

    public static async Task<int> ExecuteAsync(CommandContext ctx, string outDir, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(outDir))
        {
            throw new UsageException("--out needs a folder");
        }

        if (ctx.Settings.Format == OutputFormat.Prometheus)
        {
            throw new UsageException("snapshot --format prometheus: a snapshot has no metrics; use table or json (the manifest)");
        }

        var request = new SnapshotRequest(outDir, ctx.Settings.AllowPartial, VersionInfo.Version);
        var result = await CompositionRoot.Snapshot(ctx).TakeAsync(request, cancellationToken).ConfigureAwait(false);
        var collected = result.Collected;
        var failedNodes = result.FailedNodes;
        var summary = $"{collected.Nodes.Count - failedNodes.Count} of {collected.Nodes.Count} nodes, {collected.GuestCount} guest{(collected.GuestCount == 1 ? "" : "s")}";
        var json = ctx.Settings.Format == OutputFormat.Json;
        if (json)
        {
            // The manifest is the snapshot's own description: the same document, on stdout.
            ctx.Out.Write(result.Manifest.TrimEnd('\n') + "\n");
        }

        var what = string.Join("; ", failedNodes.Select(n => $"{n.Name} ({n.Error})").Concat(collected.GuestFailures));
        switch (result.Outcome)
        {
            case SnapshotOutcome.Complete:
                if (!json)
                {
                    ctx.Out.WriteLine($"Snapshot written to {result.Root} ({summary}).");
                }

                return ExitCodes.Ok;
            case SnapshotOutcome.Partial:
                if (!json)
                {
                    ctx.Out.WriteLine($"Partial snapshot written to {result.Root} ({summary}).");
                }

                return ctx.Exit(ExitCodes.Warning, $"partial snapshot in {result.Root}: could not read {what}");
            default:
                return ctx.Exit(ExitCodes.Unknown, $"snapshot in {result.Root} is incomplete: could not read {what} (see manifest.json; --allow-partial accepts a partial snapshot)");
        }
    }
}
