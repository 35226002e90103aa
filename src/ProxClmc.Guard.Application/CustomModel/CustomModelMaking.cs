using System.Globalization;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Sources;
using Serilog;

namespace ProxClmc.Guard.Application.CustomModel;

/// <summary>
/// <c>baseline --custom-model NAME [--phys-bits] [--apply [plan-id]] [--replace]</c>: the richest CPU every node runs,
/// as a cpu-models.conf section; planned (default), or written through the API (9.1.15+) or cpu-models.conf on a node,
/// only while the file is still as the plan found it. The sources are created only when needed.
/// </summary>
public sealed class CustomModelMaking(
    RunSettings settings,
    Func<GuardPipeline> pipeline,
    Func<ClusterSources> sources,
    ICustomModelPlanStore store,
    TimeProvider clock,
    ILogger log)
{
    private const string NeedsTarget = "baseline --custom-model --apply needs the Proxmox API ([api] url) or a Proxmox VE node (cpu-models.conf); --from snapshots are read-only";

    /// <summary>Builds the model, compares it with cpu-models.conf, saves a plan (or, with <c>--apply</c>, writes it).</summary>
    public async Task<CustomModelPlanResult> PlanAsync(CustomModelRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = Name(request);
        if (request.Apply && (settings.From is not null || sources().CustomModelTarget is null))
        {
            throw new InvalidRequestException(NeedsTarget);
        }

        var run = pipeline();
        var cluster = await run.AnalyzeAsync(cancellationToken).ConfigureAwait(false);
        if (cluster.Baseline.IsPartial && !settings.AllowPartial)
        {
            return new CustomModelPlanResult(cluster, name) { NodesUnread = true };
        }

        if (request.PhysBits && cluster.Baseline.MinPhysBits is null)
        {
            throw new InvalidRequestException("--phys-bits: no node reports its physical address width (API facts do not carry it)");
        }

        var model = ClusterCpuModel.Build(name, cluster.Baseline, run.Catalog, request.PhysBits)
            .Verified(cluster.Baseline, run.Catalog, settings.Policy, out var verdict);

        // What cpu-models.conf holds now: whether the model exists, and the digest a later write must still find.
        var target = settings.From is null ? sources().CustomModelTarget : null;
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
        var same = existing is not null && Same(existing.Value.Model, model);
        var action = existing is null ? "create" : same ? "unchanged" : "replace";

        CustomModelPlan? plan = null;
        if (file is not null && action != "unchanged" && (action == "create" || request.Replace))
        {
            var now = clock.GetUtcNow();
            plan = new CustomModelPlan
            {
                Id = FixPlan.NewId(now, Random.Shared.Next(0x10000)),
                CreatedAt = now,
                Cluster = cluster.Membership.ClusterName,
                Name = name,
                Section = model.Section,
                Properties = Properties(model),
                Action = action,
                Digest = file.Digest,
                Existing = existing?.Text,
            };
            if (!request.Apply)
            {
                store.Save(plan);
            }
        }

        var result = new CustomModelPlanResult(cluster, name)
        {
            Model = model,
            Verdict = verdict,
            Action = action,
            Existing = existing?.Text,
            Plan = plan,
            TargetDescription = target?.Description,
            ReadError = readError,
        };
        return request.Apply && plan is not null
            ? result with { Written = await WriteAsync(target!, plan, cancellationToken).ConfigureAwait(false) }
            : result;
    }

    /// <summary><c>--apply PLAN-ID</c>: writes a saved plan exactly, once, within <c>fix.plan_max_age_seconds</c>, to the cluster it was made for.</summary>
    public async Task<CustomModelApplyResult> ApplySavedAsync(CustomModelRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = Name(request);
        var planId = request.ApplyPlanId ?? throw new ArgumentException("no plan id", nameof(request));
        if (!FixPlan.IsValidId(planId))
        {
            throw new InvalidRequestException($"--apply {planId}: not a plan id (like 20261123-130501-ab12)");
        }

        if (settings.From is not null || sources().CustomModelTarget is not { } target)
        {
            throw new InvalidRequestException(NeedsTarget);
        }

        var plan = store.Load(planId) ?? throw new InvalidRequestException($"--apply {planId}: no such custom model plan in {store.Location}");
        if (plan.Name != name)
        {
            throw new InvalidRequestException($"--apply {planId}: this plan writes custom-{plan.Name}, not custom-{name}");
        }

        var age = clock.GetUtcNow() - plan.CreatedAt;
        if (age > settings.Config.Fix.PlanMaxAge || age < -TimeSpan.FromMinutes(5))
        {
            return new CustomModelApplyResult(plan, target.Description) { TooOld = age };
        }

        if (store.IsApplied(planId))
        {
            throw new InvalidRequestException($"--apply {planId}: this plan was applied already");
        }

        var membership = await sources().Membership.GetMembershipAsync(cancellationToken).ConfigureAwait(false);
        if (!string.Equals(plan.Cluster, membership.ClusterName, StringComparison.Ordinal))
        {
            throw new InvalidRequestException($"--apply {planId}: the plan was made against cluster '{plan.Cluster ?? "(none)"}', this is cluster '{membership.ClusterName ?? "(none)"}'");
        }

        var written = await WriteAsync(target, plan, cancellationToken).ConfigureAwait(false);
        if (written.Outcome == WriteOutcome.Written)
        {
            store.MarkApplied(planId, clock.GetUtcNow());
        }

        return new CustomModelApplyResult(plan, target.Description) { Written = written };
    }

    private static string Name(CustomModelRequest request) =>
        ClusterCpuModel.NormalizeName(request.Name, out var nameError) ?? throw new InvalidRequestException("--custom-model " + nameError);

    private async Task<WriteResult> WriteAsync(ICustomModelTarget target, CustomModelPlan plan, CancellationToken cancellationToken)
    {
        var result = await target.WriteAsync(plan.Name, plan.Properties, plan.Action == "replace", plan.Digest, cancellationToken).ConfigureAwait(false);
        if (result.Outcome == WriteOutcome.Written)
        {
            log.Information("Wrote custom CPU model {Model} to {Target}", "custom-" + plan.Name, target.Description);
        }

        return result;
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
}
