using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Pipeline;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Commands;

/// <summary>What <c>baseline --custom-model</c> was asked.</summary>
public sealed record CustomModelRequest
{
    public required string Name { get; init; }

    public bool PhysBits { get; init; }

    /// <summary><c>--apply</c> without an id: plan and write in one step.</summary>
    public bool Apply { get; init; }

    public string? ApplyPlanId { get; init; }

    public bool Replace { get; init; }
}

/// <summary>A saved plan for one custom model: exactly what <c>--apply &lt;plan-id&gt;</c> writes, and the digest it was made against.</summary>
public sealed record CustomModelPlan
{
    public required string Id { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public string? Cluster { get; init; }

    public required string Name { get; init; }

    public required string Section { get; init; }

    public required IReadOnlyList<KeyValuePair<string, string>> Properties { get; init; }

    /// <summary>create or replace.</summary>
    public required string Action { get; init; }

    public required string Digest { get; init; }

    public string? Existing { get; init; }
}

/// <summary>
/// <c>baseline --custom-model NAME [--phys-bits] [--apply [plan-id]] [--replace]</c>: the richest CPU every node runs,
/// as a cpu-models.conf section; planned (default), or written through the API (9.1.15+) or cpu-models.conf on a node.
/// </summary>
internal static class CustomModelCommand
{
    public static async Task<int> ExecuteAsync(CommandContext ctx, CustomModelRequest request, CancellationToken cancellationToken)
    {
        if (ctx.Settings.Format == OutputFormat.Prometheus)
        {
            throw new UsageException("baseline --custom-model --format prometheus: a CPU model has no metrics; use table or json");
        }

        var name = ClusterCpuModel.NormalizeName(request.Name, out var nameError) ?? throw new UsageException("--custom-model " + nameError);
        var store = ctx.Settings.Config.Fix.UndoDir;
        if (request.ApplyPlanId is { } planId)
        {
            return await ApplySavedAsync(ctx, name, planId, store, cancellationToken).ConfigureAwait(false);
        }

        if (request.Apply && (ctx.Settings.From is not null || ctx.Sources.CustomModelTarget is null))
        {
            throw new UsageException("baseline --custom-model --apply needs the Proxmox API ([api] url) or a Proxmox VE node (cpu-models.conf); --from snapshots are read-only");
        }

        var pipeline = ctx.CreatePipeline();
        var cluster = await pipeline.AnalyzeAsync(cancellationToken).ConfigureAwait(false);
        var exitCode = BaselineCommand.ExitCodeOf(cluster, ctx.Settings.AllowPartial);
        if (exitCode == ExitCodes.Unknown)
        {
            throw new GuardExitException(exitCode, $"could not read {string.Join(", ", cluster.Baseline.UnreadableNodes)}: a cluster CPU model needs every node's CPU (use --allow-partial for a model of the other nodes)");
        }

        if (request.PhysBits && cluster.Baseline.MinPhysBits is null)
        {
            throw new UsageException("--phys-bits: no node reports its physical address width (API facts do not carry it)");
        }

        var model = ClusterCpuModel.Build(name, cluster.Baseline, pipeline.Catalog, request.PhysBits)
            .Verified(cluster.Baseline, pipeline.Catalog, ctx.Settings.Policy, out var verdict);

        // What cpu-models.conf holds now: whether the model exists, and the digest a later write must still find.
        var target = ctx.Settings.From is null ? ctx.Sources.CustomModelTarget : null;
        CustomModelsFile? file = null;
        string? readError = null;
        if (target is not null)
        {
            try
            {
                file = await target.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SourceUnavailableException or IOException or UnauthorizedAccessException)
            {
                readError = e.Message;
            }
        }

        var existing = file is null ? null : Existing(file.Text, name);
        var properties = Properties(model);
        var same = existing is not null && Same(existing.Value.Model, model);
        var action = existing is null ? "create" : same ? "unchanged" : "replace";

        CustomModelPlan? plan = null;
        if (file is not null && action != "unchanged" && (action == "create" || request.Replace))
        {
            var now = ctx.Environment.Clock.GetUtcNow();
            plan = new CustomModelPlan
            {
                Id = FixPlan.NewId(now, Random.Shared.Next(0x10000)),
                CreatedAt = now,
                Cluster = cluster.Membership.ClusterName,
                Name = name,
                Section = model.Section,
                Properties = properties,
                Action = action,
                Digest = file.Digest,
                Existing = existing?.Text,
            };
            if (!request.Apply)
            {
                SavePlan(store, plan);
            }
        }

        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(JsonReport.Render(cluster, null, exitCode, ctx.Environment.Clock.GetUtcNow(), extra: json => WriteJson(json, model, verdict, action, existing?.Text, plan?.Id)));
        }
        else
        {
            WriteText(ctx.Out, cluster, model, verdict);
        }

        // JSON carries everything in customModel; the comment lines below are for the table form only.
        var notes = ctx.Settings.Format == OutputFormat.Json ? TextWriter.Null : ctx.Out;
        if (readError is not null && request.Apply)
        {
            throw new GuardExitException(ExitCodes.Unknown, $"cannot read the custom models from {target!.Description}: {readError}");
        }

        if (action == "replace" && !request.Replace)
        {
            notes.WriteLine($"# A model {name} exists with another definition. Now:");
            WriteCommented(notes, existing!.Value.Text);
            notes.WriteLine("# Planned (above). Add --replace to replace it; guests using custom-" + name + " change at their next full stop and start.");
            throw new GuardExitException(ExitCodes.Unsafe, $"custom-{name} exists in {target!.Description} with another definition (both shown): nothing planned; use --replace to replace it");
        }

        if (action == "unchanged")
        {
            notes.WriteLine($"# custom-{name} is already defined exactly so in {target!.Description}: nothing to write.");
            return Finish(cluster, exitCode);
        }

        if (plan is null)
        {
            if (readError is not null)
            {
                notes.WriteLine($"# Not planned: cannot read the custom models from {target!.Description} ({readError}).");
            }
            else if (ctx.Settings.From is not null)
            {
                notes.WriteLine("# A dry run from --from: nothing saved. Add the section to /etc/pve/virtual-guest/cpu-models.conf, or run this on a node (or with [api]) to plan it.");
            }

            return Finish(cluster, exitCode);
        }

        if (!request.Apply)
        {
            if (ctx.Settings.Format != OutputFormat.Json)
            {
                notes.WriteLine($"# Plan {plan.Id}: {(plan.Action == "create" ? "add" : "replace")} custom-{name} in {target!.Description}.");
                notes.WriteLine($"# Run `proxclmc-guard baseline --custom-model {name} --apply {plan.Id}` to write exactly this (within {Durations.Text(ctx.Settings.Config.Fix.PlanMaxAge)}).");
            }

            return Finish(cluster, exitCode);
        }

        return await WriteAsync(ctx, notes, target!, plan, cancellationToken).ConfigureAwait(false);
    }

    private static int Finish(ClusterAnalysis cluster, int exitCode) => exitCode switch
    {
        ExitCodes.Unsafe => throw new GuardExitException(exitCode, $"{string.Join(", ", cluster.Baseline.NodesBelowPin)} cannot run the pinned baseline {cluster.Baseline.PinnedModel?.Name}"),
        ExitCodes.Warning => throw new GuardExitException(exitCode, cluster.Baseline.IsPartial ? $"partial baseline: {string.Join(", ", cluster.Baseline.UnreadableNodes)} not read" : string.Join("; ", cluster.Baseline.Warnings)),
        _ => exitCode,
    };

    private static async Task<int> ApplySavedAsync(CommandContext ctx, string name, string planId, string store, CancellationToken cancellationToken)
    {
        if (!FixPlan.IsValidId(planId))
        {
            throw new UsageException($"--apply {planId}: not a plan id (like 20261123-130501-ab12)");
        }

        if (ctx.Settings.From is not null || ctx.Sources.CustomModelTarget is not { } target)
        {
            throw new UsageException("baseline --custom-model --apply needs the Proxmox API ([api] url) or a Proxmox VE node (cpu-models.conf); --from snapshots are read-only");
        }

        var plan = LoadPlan(store, planId) ?? throw new UsageException($"--apply {planId}: no such custom model plan in {store}");
        if (plan.Name != name)
        {
            throw new UsageException($"--apply {planId}: this plan writes custom-{plan.Name}, not custom-{name}");
        }

        var age = ctx.Environment.Clock.GetUtcNow() - plan.CreatedAt;
        if (age > ctx.Settings.Config.Fix.PlanMaxAge || age < -TimeSpan.FromMinutes(5))
        {
            throw new UsageException($"--apply {planId}: the plan is {Durations.Text(age)} old, outside fix.plan_max_age_seconds ({Durations.Text(ctx.Settings.Config.Fix.PlanMaxAge)}); make a new plan");
        }

        if (File.Exists(DonePath(store, planId)))
        {
            throw new UsageException($"--apply {planId}: this plan was applied already");
        }

        var membership = await ctx.Sources.Membership.GetMembershipAsync(cancellationToken).ConfigureAwait(false);
        if (!string.Equals(plan.Cluster, membership.ClusterName, StringComparison.Ordinal))
        {
            throw new UsageException($"--apply {planId}: the plan was made against cluster '{plan.Cluster ?? "(none)"}', this is cluster '{membership.ClusterName ?? "(none)"}'");
        }

        var notes = ctx.Settings.Format == OutputFormat.Json ? TextWriter.Null : ctx.Out;
        WriteCommented(notes, plan.Section, comment: false);
        var code = await WriteAsync(ctx, notes, target, plan, cancellationToken).ConfigureAwait(false);
        AtomicFile.WriteAllBytes(DonePath(store, planId), Encoding.UTF8.GetBytes(ctx.Environment.Clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture) + "\n"), AtomicFile.Mode0600);
        return code;
    }

    private static async Task<int> WriteAsync(CommandContext ctx, TextWriter notes, ICustomModelTarget target, CustomModelPlan plan, CancellationToken cancellationToken)
    {
        var result = await target.WriteAsync(plan.Name, plan.Properties, plan.Action == "replace", plan.Digest, cancellationToken).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case WriteOutcome.Written:
                notes.WriteLine($"# Wrote custom-{plan.Name} to {target.Description}.");
                notes.WriteLine($"# Use it: qm set <vmid> --cpu custom-{plan.Name}; it takes effect at the next full stop and start of each VM (a reboot inside the guest is not enough).");
                ctx.Log.Information("Wrote custom CPU model {Model} to {Target}", "custom-" + plan.Name, target.Description);
                return ExitCodes.Ok;
            case WriteOutcome.DigestMismatch or WriteOutcome.Locked:
                throw new GuardExitException(ExitCodes.Unsafe, $"custom-{plan.Name} not written: {result.Message}; nothing was overwritten, make a new plan");
            default:
                throw new GuardExitException(ExitCodes.Unknown, $"custom-{plan.Name} not written: {result.Message}");
        }
    }

    private static (CustomCpuModel Model, string Text)? Existing(string text, string name)
    {
        var parsed = CustomCpuModels.Parse(text);
        if (!parsed.IsSuccess || !parsed.Value.TryGet(name, out var model))
        {
            return null;
        }

        var lines = text.Split('\n');
        var start = model.Line > 0 ? model.Line - 1 : 0;
        var end = start + 1;
        while (end < lines.Length && lines[end].Trim().Length > 0 && !lines[end].StartsWith("cpu-model:", StringComparison.Ordinal))
        {
            end++;
        }

        return (model, string.Join('\n', lines[start..end]) + "\n");
    }

    private static bool Same(CustomCpuModel existing, ClusterCpuModel model) =>
        existing.ReportedModel == model.ReportedModel
        && existing.Flags.Select(f => f.ToString()).Order(StringComparer.Ordinal).SequenceEqual(model.Flags.Select(f => "+" + f.Name).Order(StringComparer.Ordinal))
        && existing.PhysBits == model.PhysBits?.ToString(CultureInfo.InvariantCulture)
        && existing.GuestPhysBits is null && existing.Hidden is null && existing.HvVendorId is null && existing.Level is null;

    private static List<KeyValuePair<string, string>> Properties(ClusterCpuModel model)
    {
        var properties = new List<KeyValuePair<string, string>>();
        if (model.Flags.Count > 0)
        {
            properties.Add(new("flags", model.FlagsValue));
        }

        if (model.PhysBits is { } bits)
        {
            properties.Add(new("phys-bits", bits.ToString(CultureInfo.InvariantCulture)));
        }

        properties.Add(new("reported-model", model.ReportedModel));
        return properties;
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

    private static string PlanPath(string store, string id) => Path.Combine(store, id + ".model.json");

    private static string DonePath(string store, string id) => Path.Combine(store, id + ".model.applied");

    private static void SavePlan(string store, CustomModelPlan plan)
    {
        Directory.CreateDirectory(store, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("id", plan.Id);
            json.WriteString("kind", "custom-model");
            json.WriteString("createdAt", plan.CreatedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            if (plan.Cluster is not null)
            {
                json.WriteString("cluster", plan.Cluster);
            }

            json.WriteString("name", plan.Name);
            json.WriteString("action", plan.Action);
            json.WriteString("digest", plan.Digest);
            json.WriteString("section", plan.Section);
            json.WriteStartObject("properties");
            foreach (var (key, value) in plan.Properties)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            if (plan.Existing is not null)
            {
                json.WriteString("existing", plan.Existing);
            }

            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        AtomicFile.WriteAllBytes(PlanPath(store, plan.Id), buffer.ToArray(), AtomicFile.Mode0600);
    }

    private static CustomModelPlan? LoadPlan(string store, string id)
    {
        var path = PlanPath(store, id);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return null;
        }

        if (info.LinkTarget is not null || info.Length > 1024 * 1024)
        {
            throw new UsageException($"--apply {id}: {path} is not a plan this tool wrote");
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            string Text(string key) => root.GetProperty(key).GetString() ?? throw new InvalidDataException(key);
            if (Text("kind") != "custom-model")
            {
                throw new InvalidDataException("kind");
            }

            return new CustomModelPlan
            {
                Id = Text("id"),
                CreatedAt = DateTimeOffset.Parse(Text("createdAt"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                Cluster = root.TryGetProperty("cluster", out var c) ? c.GetString() : null,
                Name = Text("name"),
                Action = Text("action") is var a && a is "create" or "replace" ? a : throw new InvalidDataException("action"),
                Digest = Text("digest"),
                Section = Text("section"),
                Properties = root.GetProperty("properties").EnumerateObject().Select(p => new KeyValuePair<string, string>(p.Name, p.Value.GetString() ?? "")).ToList(),
                Existing = root.TryGetProperty("existing", out var e) ? e.GetString() : null,
            };
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new UsageException($"--apply {id}: {path} cannot be read as a custom model plan ({e.Message})");
        }
    }
}
