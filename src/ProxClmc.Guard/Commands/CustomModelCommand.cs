using System.Text.Json;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.CustomModel;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Commands;

/// <summary>
/// <c>baseline --custom-model NAME [--phys-bits] [--apply [plan-id]] [--replace]</c>: the richest CPU every node runs,
/// as a cpu-models.conf section; planned (default), or written through the API (9.1.15+) or cpu-models.conf on a node
/// (<see cref="CustomModelMaking"/>). This renders the model, the plan or the write, and maps it to an exit code.
/// </summary>
public static class CustomModelCommand
{
    public static async Task<int> ExecuteAsync(CommandContext ctx, CustomModelRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (ctx.Settings.Format == OutputFormat.Prometheus)
        {
            throw new UsageException("baseline --custom-model --format prometheus: a CPU model has no metrics; use table or json");
        }

        var useCase = CompositionRoot.CustomModel(ctx);
        if (request.ApplyPlanId is { } planId)
        {
            return await ApplySavedAsync(ctx, useCase, request, planId, cancellationToken).ConfigureAwait(false);
        }

        var result = await useCase.PlanAsync(request, cancellationToken).ConfigureAwait(false);
        var cluster = result.Cluster;
        var name = result.Name;
        var exitCode = BaselineCommand.ExitCodeOf(cluster, ctx.Settings.AllowPartial);
        if (result.NodesUnread)
        {
            return ctx.Exit(ExitCodes.Unknown, $"could not read {string.Join(", ", cluster.Baseline.UnreadableNodes)}: a cluster CPU model needs every node's CPU (use --allow-partial for a model of the other nodes)");
        }

        var model = result.Model!;
        var verdict = result.Verdict!;
        var action = result.Action;
        var plan = result.Plan;
        var target = result.TargetDescription;
        var readError = result.ReadError;
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(JsonReport.Render(cluster, null, exitCode, ctx.Environment.Clock.GetUtcNow(), extra: json => WriteJson(json, model, verdict, action, result.Existing, plan?.Id)));
        }
        else
        {
            WriteText(ctx.Out, cluster, model, verdict);
        }

        // JSON carries everything in customModel; the comment lines below are for the table form only.
        var notes = ctx.Settings.Format == OutputFormat.Json ? TextWriter.Null : ctx.Out;
        if (readError is not null && request.Apply)
        {
            return ctx.Exit(ExitCodes.Unknown, $"cannot read the custom models from {target}: {readError}");
        }

        if (action == "replace" && !request.Replace)
        {
            notes.WriteLine($"# A model {name} exists with another definition. Now:");
            WriteCommented(notes, result.Existing!);
            notes.WriteLine("# Planned (above). Add --replace to replace it; guests using custom-" + name + " change at their next full stop and start.");
            return ctx.Exit(ExitCodes.Unsafe, $"custom-{name} exists in {target} with another definition (both shown): nothing planned; use --replace to replace it");
        }

        if (action == "unchanged")
        {
            notes.WriteLine($"# custom-{name} is already defined exactly so in {target}: nothing to write.");
            return Finish(ctx, cluster, exitCode);
        }

        if (plan is null)
        {
            if (readError is not null)
            {
                notes.WriteLine($"# Not planned: cannot read the custom models from {target} ({readError}).");
            }
            else if (ctx.Settings.From is not null)
            {
                notes.WriteLine("# A dry run from --from: nothing saved. Add the section to /etc/pve/virtual-guest/cpu-models.conf, or run this on a node (or with [api]) to plan it.");
            }

            return Finish(ctx, cluster, exitCode);
        }

        if (!request.Apply)
        {
            if (ctx.Settings.Format != OutputFormat.Json)
            {
                notes.WriteLine($"# Plan {plan.Id}: {(plan.Action == "create" ? "add" : "replace")} custom-{name} in {target}.");
                notes.WriteLine($"# Run `proxclmc-guard baseline --custom-model {name} --apply {plan.Id}` to write exactly this (within {Durations.Text(ctx.Settings.Config.Fix.PlanMaxAge)}).");
            }

            return Finish(ctx, cluster, exitCode);
        }

        return Written(ctx, notes, target!, plan, result.Written!);
    }

    private static int Finish(CommandContext ctx, ClusterAnalysis cluster, int exitCode) => exitCode switch
    {
        ExitCodes.Unsafe => ctx.Exit(exitCode, $"{string.Join(", ", cluster.Baseline.NodesBelowPin)} cannot run the pinned baseline {cluster.Baseline.PinnedModel?.Name}"),
        ExitCodes.Warning => ctx.Exit(exitCode, cluster.Baseline.IsPartial ? $"partial baseline: {string.Join(", ", cluster.Baseline.UnreadableNodes)} not read" : string.Join("; ", cluster.Baseline.Warnings)),
        _ => exitCode,
    };

    private static async Task<int> ApplySavedAsync(CommandContext ctx, CustomModelMaking useCase, CustomModelRequest request, string planId, CancellationToken cancellationToken)
    {
        var applied = await useCase.ApplySavedAsync(request, cancellationToken).ConfigureAwait(false);
        if (applied.TooOld is { } age)
        {
            throw new UsageException($"--apply {planId}: the plan is {Durations.Text(age)} old, outside fix.plan_max_age_seconds ({Durations.Text(ctx.Settings.Config.Fix.PlanMaxAge)}); make a new plan");
        }

        var notes = ctx.Settings.Format == OutputFormat.Json ? TextWriter.Null : ctx.Out;
        WriteCommented(notes, applied.Plan.Section, comment: false);
        return Written(ctx, notes, applied.TargetDescription, applied.Plan, applied.Written!);
    }

    private static int Written(CommandContext ctx, TextWriter notes, string target, CustomModelPlan plan, WriteResult result)
    {
        switch (result.Outcome)
        {
            case WriteOutcome.Written:
                notes.WriteLine($"# Wrote custom-{plan.Name} to {target}.");
                notes.WriteLine($"# Use it: qm set <vmid> --cpu custom-{plan.Name}; it takes effect at the next full stop and start of each VM (a reboot inside the guest is not enough).");
                return ExitCodes.Ok;
            case WriteOutcome.DigestMismatch or WriteOutcome.Locked:
                return ctx.Exit(ExitCodes.Unsafe, $"custom-{plan.Name} not written: {result.Message}; nothing was overwritten, make a new plan");
            default:
                return ctx.Exit(ExitCodes.Unknown, $"custom-{plan.Name} not written: {result.Message}");
        }
    }

    private static void WriteText(TextWriter output, ClusterAnalysis cluster, ClusterCpuModel model, GuestVerdict verdict)
    {
        var nodes = cluster.Baseline.Nodes.Where(n => n.IsReadable).Select(n => n.Node).ToList();
        output.WriteLine($"# The richest CPU every node runs ({string.Join(", ", nodes)}): custom-{model.Name}, {model.ReportedModel} plus {Names.Count(model.Flags.Count, "flag")}.");
        if (cluster.Baseline.VendorMix)
        {
            output.WriteLine("# The nodes' vendors differ: reported-model is qemu64, the base of Proxmox's own x86-64-v* models.");
        }

        if (model.Gains.Count == 0)
        {
            output.WriteLine($"# A guest gains nothing over {model.OverLevel}.");
        }
        else
        {
            output.WriteLine($"# What a guest gains over {model.OverLevel}:");
            foreach (var gain in model.Gains)
            {
                output.WriteLine($"#   + {string.Join(", ", gain.Features)} ({gain.Group})");
            }
        }

        output.WriteLine(verdict.Verdict == Verdict.Ok
            ? $"# A guest with cpu: custom-{model.Name} is ok on every node (judged as scan judges it)."
            : $"# A guest with cpu: custom-{model.Name} would be {verdict.Verdict.Name()}: {verdict.Reason}");
        if (model.UnverifiedNodes.Count > 0)
        {
            output.WriteLine($"# Unverified against KVM on {string.Join(", ", model.UnverifiedNodes)}: their features come from /proc/cpuinfo (limited to features QEMU migrates and KVM passes through); `proxclmc-guard facts --publish` there makes it exact.");
        }

        output.Write(model.Section);
    }

    private static void WriteCommented(TextWriter output, string text, bool comment = true)
    {
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            output.WriteLine(comment ? "#   " + line.Replace("\t", "    ", StringComparison.Ordinal) : line);
        }

        if (!comment)
        {
            output.WriteLine();
        }
    }

    private static void WriteJson(Utf8JsonWriter json, ClusterCpuModel model, GuestVerdict verdict, string action, string? existing, string? planId)
    {
        json.WriteStartObject("customModel");
        json.WriteString("name", model.Name);
        json.WriteString("cpu", "custom-" + model.Name);
        json.WriteString("reportedModel", model.ReportedModel);
        json.WriteStartArray("flags");
        foreach (var flag in model.Flags)
        {
            json.WriteStringValue(flag.Name);
        }

        json.WriteEndArray();
        if (model.PhysBits is { } bits)
        {
            json.WriteNumber("physBits", bits);
        }
        else
        {
            json.WriteNull("physBits");
        }

        json.WriteString("section", model.Section);
        json.WriteStartObject("sources");
        foreach (var flag in model.Flags)
        {
            json.WriteStartObject(flag.Name);
            foreach (var (node, source) in flag.Sources)
            {
                json.WriteString(node, source);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteString("overLevel", model.OverLevel);
        json.WriteStartArray("gains");
        foreach (var gain in model.Gains)
        {
            json.WriteStartObject();
            json.WriteString("group", gain.Group);
            json.WriteStartArray("features");
            foreach (var feature in gain.Features)
            {
                json.WriteStringValue(feature);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("unverifiedNodes");
        foreach (var node in model.UnverifiedNodes)
        {
            json.WriteStringValue(node);
        }

        json.WriteEndArray();
        json.WriteString("verdict", verdict.Verdict.Name());
        json.WriteString("action", action);
        if (existing is not null)
        {
            json.WriteString("existing", existing);
        }

        if (planId is not null)
        {
            json.WriteString("planId", planId);
        }

        json.WriteEndObject();
    }
}
