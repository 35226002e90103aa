using System.CommandLine;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.CustomModel;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Pipeline;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Commands;

/// <summary><c>baseline</c>: the node table and the CPU type every node can run.</summary>
public static class BaselineCommand
{
    public static Command Create(GuardCli cli)
    {
        var listOnly = new Option<bool>("--list-only")
        {
            Description = "Print only the cluster CPU type (drop-in for ProxCLMC's --list-only in scripts)",
        };
        var customModel = new Option<string?>("--custom-model")
        {
            Description = "Print the richest CPU every node runs as a cpu-models.conf section named NAME (a plan; --apply writes it)",
            HelpName = "name",
        };
        var physBits = new Option<bool>("--phys-bits") { Description = "With --custom-model: also set phys-bits to the narrowest node's address width" };
        var apply = new Option<string?>("--apply")
        {
            Description = "With --custom-model: write exactly the saved plan <plan-id>; without an id, plan and write in one step",
            HelpName = "plan-id",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var replace = new Option<bool>("--replace") { Description = "With --custom-model: replace a model of that name that differs" };
        var command = new Command("baseline", "Show each node's CPU and the CPU type every node of the cluster can run");
        var toCluster = ToClusterCommand.Option();
        foreach (var option in new Option[] { listOnly, customModel, physBits, apply, replace, toCluster })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) => cli.RunAsync(parse, ctx =>
        {
            if (parse.GetValue(toCluster) is { } remote)
            {
                if (parse.GetValue(customModel) is not null || parse.GetResult(apply) is not null || parse.GetValue(physBits) || parse.GetValue(replace))
                {
                    throw new UsageException("--to-cluster and --custom-model: choose one");
                }

                return ToClusterCommand.BaselineAsync(ctx, remote, parse.GetValue(listOnly), ct);
            }

            if (parse.GetValue(customModel) is { } name)
            {
                if (parse.GetValue(listOnly))
                {
                    throw new UsageException("--custom-model and --list-only: choose one");
                }

                return CustomModelCommand.ExecuteAsync(ctx, new CustomModelRequest
                {
                    Name = name,
                    PhysBits = parse.GetValue(physBits),
                    Apply = parse.GetResult(apply) is not null && parse.GetValue(apply) is null,
                    ApplyPlanId = parse.GetValue(apply),
                    Replace = parse.GetValue(replace),
                }, ct);
            }

            if (parse.GetResult(apply) is not null || parse.GetValue(physBits) || parse.GetValue(replace))
            {
                throw new UsageException("--apply, --phys-bits and --replace go with --custom-model <name>");
            }

            return ExecuteAsync(ctx, parse.GetValue(listOnly), ct);
        }));
        return command;
    }

    public static async Task<int> ExecuteAsync(CommandContext ctx, bool listOnly, CancellationToken cancellationToken)
    {
        var cluster = await ctx.CreatePipeline().AnalyzeAsync(cancellationToken).ConfigureAwait(false);
        var exitCode = ExitCodeOf(cluster, ctx.Settings.AllowPartial);

        if (listOnly && ctx.Settings.Format == OutputFormat.Prometheus)
        {
            throw new UsageException("baseline --list-only prints the CPU type (or, with --format json, the baseline JSON); --format prometheus has no such form");
        }

        if (listOnly && ctx.Settings.Format == OutputFormat.Table)
        {
            // Only a usable answer goes to stdout: `cpu=$(proxclmc-guard baseline --list-only)` must never pick up
            // the model of a partial cluster or one below its pinned baseline. The reason goes to stderr (below).
            if (exitCode is ExitCodes.Ok or ExitCodes.Warning)
            {
                ctx.Out.WriteLine(cluster.Baseline.ClusterCpuType);
            }
        }
        else
        {
            switch (ctx.Settings.Format)
            {
                case OutputFormat.Json:
                    ctx.Out.Write(JsonReport.Render(cluster, null, exitCode, ctx.Environment.Clock.GetUtcNow()));
                    break;
                case OutputFormat.Prometheus:
                    ctx.Out.Write(PrometheusReport.Render(cluster, null, ctx.Environment.Clock.GetUtcNow()));
                    break;
                default:
                    new TableRenderer(ctx.Out, ctx.Environment.OutputWidth, shorten: !ctx.Settings.Verbose).WriteBaseline(cluster);
                    break;
            }
        }

        return exitCode switch
        {
            ExitCodes.Unknown => throw new GuardExitException(exitCode, $"could not read {string.Join(", ", cluster.Baseline.UnreadableNodes.Select(n => NodeError(cluster, n)))} (use --allow-partial for a baseline of the other nodes)"),
            ExitCodes.Unsafe => throw new GuardExitException(exitCode, $"{string.Join(", ", cluster.Baseline.NodesBelowPin)} cannot run the pinned baseline {cluster.Baseline.PinnedModel?.Name}"),
            ExitCodes.Warning => throw new GuardExitException(exitCode, cluster.Baseline.IsPartial ? $"partial baseline: {string.Join(", ", cluster.Baseline.UnreadableNodes)} not read" : string.Join("; ", cluster.Baseline.Warnings)),
            _ => exitCode,
        };
    }

    /// <summary>3 unreadable nodes (without --allow-partial), 2 nodes below a pinned baseline, 1 warnings or a partial answer, else 0.</summary>
    public static int ExitCodeOf(ClusterAnalysis cluster, bool allowPartial)
    {
        var baseline = cluster.Baseline;
        if (baseline.IsPartial && !allowPartial)
        {
            return ExitCodes.Unknown;
        }

        if (baseline.NodesBelowPin.Count > 0)
        {
            return ExitCodes.Unsafe;
        }

        return baseline.IsPartial || baseline.Warnings.Count > 0 ? ExitCodes.Warning : ExitCodes.Ok;
    }

    private static string NodeError(ClusterAnalysis cluster, string node) =>
        cluster.Facts.FirstOrDefault(f => f.Node == node)?.Error is { } error ? $"{node} ({error})" : node;
}
