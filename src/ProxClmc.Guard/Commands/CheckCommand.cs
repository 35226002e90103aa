using System.CommandLine;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Check;
using ProxClmc.Guard.Application.Evacuate;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Commands;

/// <summary>
/// <c>check &lt;vmid&gt; [--target node]</c>: can this VM run there? <c>check --evacuate node</c>: where can each VM
/// of a node go before maintenance?
/// </summary>
public static class CheckCommand
{
    public static Command Create(GuardCli cli)
    {
        var vmid = new Argument<int?>("vmid") { Description = "The VM to check", Arity = ArgumentArity.ZeroOrOne };
        var target = new Option<string?>("--target") { Description = "Only this node (default: every node)", HelpName = "node" };
        var evacuate = new Option<string?>("--evacuate")
        {
            Description = "For each VM on this node (about to go into maintenance), the nodes it can safely live-migrate to",
            HelpName = "node",
        };
        var command = new Command("check", "Can a VM run on a node? Answers before a migration (exit 0 yes, 1 probably but unverified, 2 no, 3 unknown)");
        command.Arguments.Add(vmid);
        command.Options.Add(target);
        command.Options.Add(evacuate);
        var toCluster = ToClusterCommand.Option();
        command.Options.Add(toCluster);
        command.SetAction((parse, ct) => cli.RunAsync(parse, ctx =>
        {
            var id = parse.GetValue(vmid);
            var evacuateNode = parse.GetValue(evacuate);
            if (parse.GetValue(toCluster) is { } remote)
            {
                return id is not { } vm || evacuateNode is not null
                    ? throw new UsageException("check --to-cluster needs a VM id (and takes no --evacuate)")
                    : ToClusterCommand.CheckAsync(ctx, remote, vm, parse.GetValue(target), ct);
            }

            return (id, evacuateNode) switch
            {
                (null, null) => throw new UsageException("check needs a VM id or --evacuate <node>"),
                (not null, not null) => throw new UsageException("check takes either a VM id or --evacuate <node>, not both"),
                (null, { } node) => EvacuateAsync(ctx, node, ct, parse.GetValue(target)),
                ({ } vm, null) => CheckAsync(ctx, vm, parse.GetValue(target), ct),
            };
        }));
        return command;
    }

    private static void RefusePrometheus(CommandContext ctx)
    {
        if (ctx.Settings.Format == OutputFormat.Prometheus)
        {
            throw new UsageException("check --format prometheus: a check has no metrics; use table or json");
        }
    }

    public static async Task<int> CheckAsync(CommandContext ctx, int vmId, string? target, CancellationToken cancellationToken)
    {
        RefusePrometheus(ctx);
        var result = await CheckUseCase.CheckAsync(ctx.CreatePipeline(), new CheckRequest(vmId, target), cancellationToken).ConfigureAwait(false);
        var exitCode = result.Outcome switch
        {
            CheckOutcome.Refused => ExitCodes.Unsafe,
            CheckOutcome.Unknown => ExitCodes.Unknown,
            CheckOutcome.Unverified or CheckOutcome.CanRunWithWarnings => ExitCodes.Warning,
            _ => ExitCodes.Ok,
        };
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(CheckJson.Check(result.Guest, CheckText.Cpu(result.Guest), result.Answers, result.Verdict, exitCode));
        }
        else
        {
            new CheckText(ctx.Out, ctx.Width, ctx.Settings.Verbose).WriteCheck(result);
        }

        return result.Outcome switch
        {
            CheckOutcome.Refused => ctx.Exit(exitCode, $"VM {vmId} cannot run on {string.Join(", ", result.Refused)}"),
            CheckOutcome.Unknown => ctx.Exit(exitCode, $"VM {vmId}: cannot tell for {string.Join(", ", result.Unknown)}"),
            CheckOutcome.CanRunWithWarnings => ctx.Exit(exitCode, $"VM {vmId} can run on {string.Join(", ", result.Warned.Select(a => a.Target))}, but: {result.Warned[0].Warnings[0]}"),
            CheckOutcome.Unverified => ctx.Exit(exitCode, $"VM {vmId} probably runs on {string.Join(", ", result.Unverified)}, but that cannot be verified: {result.Answers.First(a => a.Verdict == Verdict.Unverified).Reason.Replace("probably: ", "", StringComparison.Ordinal)}"),
            _ => exitCode,
        };
    }

    /// <param name="target">With <c>--target</c>: plan the evacuation onto that node only.</param>
    public static async Task<int> EvacuateAsync(CommandContext ctx, string node, CancellationToken cancellationToken, string? target = null)
    {
        RefusePrometheus(ctx);
        var result = await EvacuateUseCase.EvacuateAsync(ctx.CreatePipeline(), new EvacuateRequest(node, target), cancellationToken).ConfigureAwait(false);
        var exitCode = result.Outcome switch
        {
            EvacuateOutcome.Stranded or EvacuateOutcome.HaUnsafe => ExitCodes.Unsafe,
            EvacuateOutcome.Unknown => ExitCodes.Unknown,
            _ => ExitCodes.Ok,
        };
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(CheckJson.Evacuate(node, result.Candidates, result.Entries.Select(e => (e.Guest, CheckText.Cpu(e.Guest), e.Answers, e.Verdict)).ToList(), result.Ignored, result.Containers, exitCode));
        }
        else
        {
            new CheckText(ctx.Out, ctx.Width, ctx.Settings.Verbose).WriteEvacuation(result);
        }

        var stranded = result.Stranded;
        return result.Outcome switch
        {
            EvacuateOutcome.HaUnsafe => ctx.Exit(exitCode, $"maintenance mode on {node}: the HA manager cannot safely move {string.Join(", ", result.HaUnsafe)}"),
            EvacuateOutcome.Stranded => ctx.Exit(exitCode, $"{Names.Count(stranded.Count, "VM")} {(stranded.Count == 1 ? "has" : "have")} nowhere to go from {node}: {string.Join(", ", stranded)}"),
            EvacuateOutcome.Unknown => ctx.Exit(exitCode, $"cannot tell where {string.Join(", ", result.Unknown)} can go (node facts missing)"),
            _ => exitCode,
        };
    }

    /// <summary>The guest's cpu as <c>check</c> shows it (<see cref="CheckText.Cpu"/>).</summary>
    internal static string Describe(GuestConfig guest) => CheckText.Cpu(guest);
}
