using System.Globalization;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Fix;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Core.Parsing;
using ProxClmc.Guard.Core.Placement;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Proxmox;
using ProxClmc.Guard.Pipeline;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Fixes;

/// <summary>
/// One rule or group a placement fix writes, appended to <c>&lt;plan-id&gt;.placement.jsonl</c> before the write.
/// <see cref="Written"/> is null on that record, and false on a second record that follows a write which was refused
/// (the HA configuration changed since the plan) or failed: that attempt left nothing to undo.
/// </summary>
public sealed record PlacementUndoRecord(int VmId, string Sid, bool IsRule, string Id, IReadOnlyList<string> Nodes, bool? Written = null)
{
    public string What => $"{(IsRule ? "rule" : "group")} '{Id}'";
}

public enum PlacementOutcome
{
    /// <summary>The rule or group was created.</summary>
    Applied,

    /// <summary>The HA configuration changed since the plan: not written, and nothing after it.</summary>
    Conflict,

    /// <summary>The write failed: the run stops here.</summary>
    Failed,

    /// <summary>Not tried because an earlier write was refused or failed.</summary>
    NotAttempted,
}

public sealed record PlacementResult(PlacementEntry Entry, PlacementOutcome Outcome, string Message);

public enum PlacementUndoOutcome
{
    Removed,
    AlreadyGone,

    /// <summary>The plan's write was refused or failed: nothing of ours to remove.</summary>
    NotWritten,

    /// <summary>Someone changed the rule or group since: left alone.</summary>
    ChangedSince,
    Failed,
}

/// <summary>
/// <c>fix --strategy placement</c>: plans strict node-affinity rules (PVE 9) or restricted groups (PVE 8) that keep
/// unsafe HA guests on the nodes that can run them. A plan of the live cluster is saved in <c>fix.undo_dir</c> like a
/// cpu plan (strategy "placement", with the digests of the HA configuration it was planned against) and written by
/// <c>fix --apply &lt;plan-id&gt;</c>, each rule only while the HA configuration still has those digests;
/// <c>fix --undo</c> removes what was written.
/// </summary>
internal static class PlacementFix
{
    private const string NeedsApi = "needs the Proxmox API ([api] url in the config); --from snapshots are read-only";

    public static string UndoPath(string undoDir, string planId) => Path.Combine(undoDir, planId + ".placement.jsonl");

    public static bool HasUndo(string undoDir, string planId) => FixPlan.IsValidId(planId) && File.Exists(UndoPath(undoDir, planId));

    public static async Task<int> PlanAsync(CommandContext ctx, PlacementRequest request, IFixStore store, CancellationToken cancellationToken)
    {
        var client = ctx.Settings.From is null ? ctx.Sources.Resources as ProxmoxClient : null;
        if (request.Apply && client is null)
        {
            throw new UsageException("fix --apply " + NeedsApi);
        }

        var writer = client is null ? null : CompositionRoot.HaWriter(client);
        var usesRules = false;
        string? digest = null;
        if (writer is not null)
        {
            // The digests are taken before the scan reads the HA configuration: a change made after this point, even
            // one the scan already sees, makes them differ when the plan is written, so the plan never outlives it.
            usesRules = await writer.UsesRulesAsync(cancellationToken).ConfigureAwait(false);
            digest = await writer.DigestAsync(usesRules, cancellationToken).ConfigureAwait(false);
        }

        var result = await ctx.CreatePipeline().ScanAsync(cancellationToken).ConfigureAwait(false);
        if (writer is null)
        {
            // A snapshot or /etc/pve: groups.cfg still in use means groups (PVE 8, or 9 before the migration).
            usesRules = result.Inventory.Ha.Groups.Count == 0;
        }
        else if (usesRules && result.Inventory.Ha.Resources.Any(r => r.Group is not null))
        {
            // API2/HA/Rules.pm create_rule: "cannot create ha rule: ha groups have not been migrated yet".
            throw new GuardExitException(ExitCodes.Unsafe, "the HA groups have not been migrated to rules yet (Proxmox VE 9 does it once every node runs 9): no rule can be created now");
        }

        var unknownIds = request.VmIds.Where(id => result.Report.Verdicts.All(v => v.Guest.VmId != id)).ToList();
        if (unknownIds.Count > 0)
        {
            throw new UsageException($"--vmid {Ids(unknownIds)}: no such guest in the cluster");
        }

        var now = ctx.Environment.Clock.GetUtcNow();
        var placement = PlacementPlanner.Plan(result.Report, result.Ha, usesRules, request.AllowSingleNode, request.VmIds, FixPlan.NewId(now, Random.Shared.Next(0x10000)), now) with { HaDigest = digest };
        var plan = new FixPlan
        {
            Id = placement.Id,
            CreatedAt = now,
            Baseline = result.Cluster.Baseline.ClusterCpuType,
            Strategy = "placement",
            Cluster = result.Cluster.Membership.ClusterName,
            Source = result.Cluster.SourceDescription,
            Request = string.Join(' ', new[] { "--strategy placement", request.Description, request.AllowSingleNode ? "--allow-single-node" : null }.Where(p => !string.IsNullOrEmpty(p))),
            Entries = [],
            Placement = placement,
        };
        var changes = placement.Changes().ToList();

        // Only a plan read through the API carries the digests that guard its writes; a dry run from --from, or a
        // plan from /etc/pve without [api], writes nothing unless --save-plan asks for the file.
        var saved = changes.Count > 0 && writer is not null && FixPlanning.Save(store, plan, mustSucceed: request.Apply, ctx.Log);
        if (request.SavePlan is { } file)
        {
            store.ExportPlan(file, plan);
        }

        if (ctx.Settings.Format != OutputFormat.Json)
        {
            WritePlan(ctx, placement, saved ? store.Location : null);
        }

        var others = placement.Entries.Where(e => !e.IsChange).Select(e => e.VmId).ToList();
        if (request.Apply && changes.Count > 0)
        {
            return await ApplyAsync(ctx, plan, writer!, cancellationToken).ConfigureAwait(false);
        }

        var exitCode = changes.Count > 0 || others.Count > 0 ? ExitCodes.Unsafe : ExitCodes.Ok;
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(RenderJson(placement, null, exitCode));
        }

        if (changes.Count > 0)
        {
            var next = saved
                ? $"run `proxclmc-guard fix --apply {plan.Id}` to write exactly this plan (within {Durations.Text(ctx.Settings.Config.Fix.PlanMaxAge)})"
                : ctx.Settings.From is not null
                    ? "a dry run from --from: nothing saved" + (request.SavePlan is null ? "" : $" but {request.SavePlan}")
                    : writer is null
                        ? "nothing saved: writing HA rules needs the Proxmox API ([api] url in the config)" + (request.SavePlan is null ? "" : $"; the plan is in {request.SavePlan}")
                        : "the plan could not be saved; run `proxclmc-guard fix --strategy placement --apply` with the same options to plan and write in one step";
            throw new GuardExitException(ExitCodes.Unsafe, $"{Count(changes.Count, usesRules ? "HA rule" : "HA group")} to create (plan {plan.Id}); {next}{OthersText(others)}");
        }

        return others.Count > 0
            ? throw new GuardExitException(ExitCodes.Unsafe, $"nothing to place; unsafe guests left as they are: {Ids(others)}")
            : ExitCodes.Ok;
    }

    /// <summary>
    /// <c>fix --apply &lt;plan-id&gt;</c> of a saved placement plan, once <c>fix</c> has checked its age, its cluster and
    /// that it was not applied before: exactly the plan's rules or groups, while the HA configuration is as planned.
    /// </summary>
    public static async Task<int> ApplySavedAsync(CommandContext ctx, FixPlan plan, IFixStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var client = (ctx.Settings.From is null ? ctx.Sources.Resources as ProxmoxClient : null)
            ?? throw new UsageException("fix --apply " + NeedsApi);
        var placement = plan.Placement
            ?? throw new UsageException($"--apply {plan.Id}: the plan file names strategy placement but holds no placement; make a new plan with `proxclmc-guard fix --strategy placement`");
        if (placement.HaDigest is null || !string.Equals(placement.Id, plan.Id, StringComparison.Ordinal))
        {
            throw new UsageException($"--apply {plan.Id}: the plan holds no digest of the HA configuration to guard its writes; make a new plan with `proxclmc-guard fix --strategy placement`");
        }

        if (placement.Entries.Any(e => e is null))
        {
            throw new UsageException($"--apply {plan.Id}: the plan file holds an empty entry; make a new plan with `proxclmc-guard fix --strategy placement`");
        }

        foreach (var entry in placement.Changes())
        {
            if (Invalid(entry, placement.UsesRules) is { } problem)
            {
                throw new UsageException($"--apply {plan.Id}: VM {entry.VmId} in the plan: {problem}; make a new plan with `proxclmc-guard fix --strategy placement`");
            }
        }

        if (ctx.Settings.Format != OutputFormat.Json)
        {
            WritePlan(ctx, placement, store.Location);
        }

        return await ApplyAsync(ctx, plan, CompositionRoot.HaWriter(client), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A plan file is read back from disk: only the rules and groups this version makes are written.</summary>
    private static string? Invalid(PlacementEntry entry, bool usesRules)
    {
        if (entry.Action != (usesRules ? PlacementAction.CreateRule : PlacementAction.CreateGroup))
        {
            return $"a plan of {(usesRules ? "rules" : "groups")} cannot {PlacementActionJsonConverter.Name(entry.Action)}";
        }

        if (entry.Sid != "vm:" + entry.VmId.ToString(CultureInfo.InvariantCulture) || entry.RuleId != PlacementPlanner.RuleIdFor(entry.VmId))
        {
            return $"resource '{entry.Sid}' and rule '{entry.RuleId}' are not the ones made for it";
        }

        return entry.KeepsNodes.Count == 0 || entry.KeepsNodes.Any(n => n is null || n.Length == 0 || n.Length > 63 || !n.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
            ? "its node list is not a list of node names"
            : null;
    }

    private static async Task<int> ApplyAsync(CommandContext ctx, FixPlan plan, ApiHaWriter writer, CancellationToken cancellationToken)
    {
        var placement = plan.Placement!;
        var changes = placement.Changes().ToList();
        var undoPath = UndoPath(ctx.Settings.Config.Fix.UndoDir, plan.Id);
        var results = new List<PlacementResult>();
        // The digests the next write expects; null (with the reason) once the configuration left by our own write
        // could not be confirmed.
        string? expected = placement.HaDigest!;
        var unconfirmed = "";
        string? changedFiles = null;
        foreach (var entry in changes)
        {
            if (results.Any(r => r.Outcome != PlacementOutcome.Applied))
            {
                results.Add(new PlacementResult(entry, PlacementOutcome.NotAttempted, "not attempted: an earlier write was refused or failed"));
                continue;
            }

            var record = new PlacementUndoRecord(entry.VmId, entry.Sid!, entry.Action == PlacementAction.CreateRule, entry.RuleId!, entry.KeepsNodes);
            AppendUndo(undoPath, record);
            HaApiState before;
            try
            {
                // Creating a rule or group takes no digest in Proxmox: the guard is this check right before the write.
                before = await writer.ReadAsync(placement.UsesRules, cancellationToken).ConfigureAwait(false);
                if (before.Digest != expected)
                {
                    AppendUndo(undoPath, record with { Written = false });
                    changedFiles = expected is null ? "while the plan was being written" : Changed(expected, before.Digest);
                    results.Add(new PlacementResult(entry, PlacementOutcome.Conflict, expected is null
                        ? "not written: " + unconfirmed
                        : $"not written: {changedFiles} changed since the plan"));
                    continue;
                }

                await writer.CreateAsync(entry, plan.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SourceUnavailableException or HttpRequestException or IOException)
            {
                AppendUndo(undoPath, record with { Written = false });
                results.Add(new PlacementResult(entry, PlacementOutcome.Failed, "write failed: " + e.Message));
                continue;
            }

            var how = entry.Action == PlacementAction.CreateRule ? "strict node-affinity rule" : "restricted group";
            results.Add(new PlacementResult(entry, PlacementOutcome.Applied, $"created {how} '{entry.RuleId}' on {string.Join(", ", entry.KeepsNodes)}"));
            ctx.Log.ForContext("PROXCLMC_VMID", entry.VmId)
                .ForContext("PROXCLMC_NODE", entry.Node)
                .ForContext("PROXCLMC_PLAN", plan.Id)
                .Information("VM {VmId}: created {How} {RuleId} on {Nodes} (plan {PlanId})", entry.VmId, how, entry.RuleId, string.Join(",", entry.KeepsNodes), plan.Id);

            // Our own write changed the digests: the next write is guarded by the configuration as we left it, when
            // it differs from the one before the write by exactly what we wrote.
            try
            {
                var after = await writer.ReadAsync(placement.UsesRules, cancellationToken).ConfigureAwait(false);
                expected = ApiHaWriter.OnlyWritten(before, after, entry) ? after.Digest : null;
                unconfirmed = "someone else changed the HA configuration while this plan was being written";
            }
            catch (SourceUnavailableException e)
            {
                expected = null;
                unconfirmed = "the HA configuration could not be read back after the previous write: " + e.Message;
            }
        }

        var written = results.Count(r => r.Outcome == PlacementOutcome.Applied);
        var failed = results.FirstOrDefault(r => r.Outcome == PlacementOutcome.Failed);
        var conflict = results.FirstOrDefault(r => r.Outcome == PlacementOutcome.Conflict);
        var others = placement.Entries.Where(e => !e.IsChange).Select(e => e.VmId).ToList();
        var exitCode = failed is not null ? ExitCodes.Unknown : conflict is not null || others.Count > 0 ? ExitCodes.Unsafe : ExitCodes.Ok;
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(RenderJson(placement, results, exitCode));
        }
        else
        {
            foreach (var r in results)
            {
                ctx.WriteRow($"  {r.Entry.VmId.ToString(CultureInfo.InvariantCulture)}: {r.Message}");
            }
        }

        var undoHint = written > 0 ? $"; undo with `proxclmc-guard fix --undo {plan.Id}`" : "";
        if (failed is not null)
        {
            throw new GuardExitException(ExitCodes.Unknown, $"VM {failed.Entry.VmId}: {failed.Message}; stopped after {written} of {changes.Count}{undoHint}");
        }

        if (conflict is not null)
        {
            throw new GuardExitException(ExitCodes.Unsafe, $"the HA configuration changed since plan {plan.Id} was made ({changedFiles}): wrote {written} of {changes.Count}, nothing more; review a new plan (`proxclmc-guard fix --strategy placement`){undoHint}");
        }

        return others.Count > 0
            ? throw new GuardExitException(ExitCodes.Unsafe, $"wrote {written} of {changes.Count}; unsafe guests left as they are: {Ids(others)}{undoHint}")
            : ExitCodes.Ok;
    }

    /// <summary>Which HA files the two digests (<c>resources=... rules=...</c>) say changed.</summary>
    private static string Changed(string planned, string now)
    {
        var before = planned.Split(' ');
        var after = now.Split(' ');
        var files = before.Zip(after).Where(p => p.First != p.Second).Select(p => "ha/" + p.First.Split('=')[0] + ".cfg").ToList();
        return files.Count == 0 || before.Length != after.Length ? "the HA configuration" : string.Join(" and ", files);
    }

    public static async Task<int> UndoAsync(CommandContext ctx, string planId, CancellationToken cancellationToken)
    {
        var client = (ctx.Settings.From is null ? ctx.Sources.Resources as ProxmoxClient : null)
            ?? throw new UsageException("fix --undo " + NeedsApi);
        var writer = CompositionRoot.HaWriter(client);
        var records = ReadUndo(UndoPath(ctx.Settings.Config.Fix.UndoDir, planId));

        // One rule or group per record: a second record saying "not written" cancels the attempt before it.
        // Last written, first removed.
        var perRule = records
            .GroupBy(r => (r.IsRule, r.Id))
            .Select(g => (Record: g.First() with { Written = null }, MaybeWritten: MaybeWritten(g.ToList())))
            .Reverse()
            .ToList();
        var results = new List<(PlacementUndoRecord Record, PlacementUndoOutcome Outcome, string Message)>();
        foreach (var (record, maybeWritten) in perRule)
        {
            PlacementState state;
            try
            {
                state = await writer.StateAsync(record.IsRule, record.Id, record.Sid, record.Nodes, cancellationToken).ConfigureAwait(false);
                if (state == PlacementState.AsWritten)
                {
                    await writer.RemoveAsync(record.IsRule, record.Id, record.Sid, cancellationToken).ConfigureAwait(false);
                    results.Add((record, PlacementUndoOutcome.Removed, $"removed {record.What}"));
                    ctx.Log.ForContext("PROXCLMC_VMID", record.VmId)
                        .ForContext("PROXCLMC_PLAN", planId)
                        .Information("VM {VmId}: removed {What} (undo of plan {PlanId})", record.VmId, record.What, planId);
                    continue;
                }
            }
            catch (Exception e) when (e is SourceUnavailableException or HttpRequestException or IOException)
            {
                results.Add((record, PlacementUndoOutcome.Failed, $"removing {record.What} failed: {e.Message}"));
                break;
            }

            results.Add(!maybeWritten
                ? (record, PlacementUndoOutcome.NotWritten, $"{record.What} was not written (the write was refused or failed): nothing to undo")
                : state == PlacementState.Gone
                    ? (record, PlacementUndoOutcome.AlreadyGone, $"{record.What} is already gone")
                    : (record, PlacementUndoOutcome.ChangedSince, $"{record.What} was changed since; left alone"));
        }

        var failed = results.FirstOrDefault(r => r.Outcome == PlacementUndoOutcome.Failed);
        var leftAlone = results.Where(r => r.Outcome == PlacementUndoOutcome.ChangedSince).Select(r => r.Record.VmId).ToList();
        var exitCode = failed.Record is not null ? ExitCodes.Unknown : leftAlone.Count > 0 ? ExitCodes.Unsafe : ExitCodes.Ok;
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(RenderUndoJson(planId, results, exitCode));
        }
        else if (results.Count == 0)
        {
            ctx.Out.WriteLine($"Plan {planId} wrote nothing: nothing to undo.");
        }
        else
        {
            foreach (var (record, _, message) in results)
            {
                ctx.WriteRow($"  {record.VmId.ToString(CultureInfo.InvariantCulture)}: {message}");
            }
        }

        if (failed.Record is not null)
        {
            throw new GuardExitException(ExitCodes.Unknown, $"VM {failed.Record.VmId}: {failed.Message}; stopped");
        }

        return leftAlone.Count > 0
            ? throw new GuardExitException(ExitCodes.Unsafe, $"left alone (changed since): {Ids(leftAlone)}")
            : ExitCodes.Ok;
    }

    /// <summary>True unless every attempt is followed by a record saying it was not written.</summary>
    private static bool MaybeWritten(IReadOnlyList<PlacementUndoRecord> records)
    {
        for (var i = 0; i < records.Count; i++)
        {
            if (records[i].Written is null && (i + 1 == records.Count || records[i + 1].Written != false))
            {
                return true;
            }
        }

        return false;
    }

    private static void WritePlan(CommandContext ctx, PlacementPlan plan, string? savedIn)
    {
        ctx.Out.WriteLine($"Placement plan {plan.Id}: {(plan.UsesRules ? "strict node-affinity rules (Proxmox VE 9)" : "restricted HA groups (Proxmox VE 8)")}; cpu values are not changed{(savedIn is null ? "" : $"; saved in {savedIn}")}");
        if (plan.Entries.Count == 0)
        {
            ctx.Out.WriteLine("No unsafe guest.");
            return;
        }

        var nameWidth = Math.Max(4, plan.Entries.Max(e => (e.Name ?? "-").Length));
        var cpuWidth = Math.Max(3, plan.Entries.Max(e => e.Cpu.Length));
        foreach (var e in plan.Entries)
        {
            var action = e.Action switch
            {
                PlacementAction.CreateRule => $"rule {e.RuleId}",
                PlacementAction.CreateGroup => $"group {e.RuleId}",
                PlacementAction.Hookscript => "hookscript",
                _ => "skip",
            };
            ctx.WriteRow($"  {e.VmId.ToString(CultureInfo.InvariantCulture),-6} {(e.Name ?? "-").PadRight(nameWidth)} {e.Node,-6} {e.Cpu.PadRight(cpuWidth)}  {action}");
            ctx.WriteRow(e.IsChange
                ? $"         keeps cpu {e.Cpu} and the nodes {string.Join(", ", e.KeepsNodes)}; loses {string.Join(", ", e.LosesNodes)}"
                : $"         {e.Reason}");
        }
    }

    private static string RenderJson(PlacementPlan plan, IReadOnlyList<PlacementResult>? results, int exitCode) => Json(json =>
    {
        json.WriteNumber("schemaVersion", 1);
        json.WriteString("planId", plan.Id);
        json.WriteString("strategy", "placement");
        json.WriteString("creates", plan.UsesRules ? "node-affinity-rule" : "restricted-group");
        json.WriteStartArray("entries");
        foreach (var e in plan.Entries)
        {
            json.WriteStartObject();
            json.WriteNumber("vmid", e.VmId);
            json.WriteString("node", e.Node);
            json.WriteString("cpu", e.Cpu);
            json.WriteString("action", PlacementActionJsonConverter.Name(e.Action));
            if (e.Sid is { } sid)
            {
                json.WriteString("sid", sid);
            }

            if (e.RuleId is { } id)
            {
                json.WriteString("id", id);
            }

            WriteStrings(json, "keepsNodes", e.KeepsNodes);
            WriteStrings(json, "losesNodes", e.LosesNodes);
            json.WriteString("reason", e.Reason);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (results is not null)
        {
            json.WriteStartArray("results");
            foreach (var r in results)
            {
                json.WriteStartObject();
                json.WriteNumber("vmid", r.Entry.VmId);
                json.WriteString("id", r.Entry.RuleId);
                json.WriteString("outcome", r.Outcome switch
                {
                    PlacementOutcome.Applied => "applied",
                    PlacementOutcome.Conflict => "conflict",
                    PlacementOutcome.Failed => "failed",
                    _ => "not-attempted",
                });
                json.WriteString("message", r.Message);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteNumber("exitCode", exitCode);
    });

    private static string RenderUndoJson(string planId, IEnumerable<(PlacementUndoRecord Record, PlacementUndoOutcome Outcome, string Message)> results, int exitCode) => Json(json =>
    {
        json.WriteNumber("schemaVersion", 1);
        json.WriteString("planId", planId);
        json.WriteStartArray("results");
        foreach (var (record, outcome, message) in results)
        {
            json.WriteStartObject();
            json.WriteNumber("vmid", record.VmId);
            json.WriteString("kind", record.IsRule ? "rule" : "group");
            json.WriteString("id", record.Id);
            json.WriteString("outcome", outcome switch
            {
                PlacementUndoOutcome.Removed => "removed",
                PlacementUndoOutcome.AlreadyGone => "already-gone",
                PlacementUndoOutcome.NotWritten => "not-written",
                PlacementUndoOutcome.ChangedSince => "changed-since",
                _ => "failed",
            });
            json.WriteString("message", message);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteNumber("exitCode", exitCode);
    });

    private static string Json(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static void AppendUndo(string path, PlacementUndoRecord record)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("vmid", record.VmId);
            json.WriteString("sid", record.Sid);
            json.WriteString("kind", record.IsRule ? "rule" : "group");
            json.WriteString("id", record.Id);
            WriteStrings(json, "nodes", record.Nodes);
            if (record.Written is { } written)
            {
                json.WriteBoolean("written", written);
            }

            json.WriteEndObject();
        }

        // The same folder and file handling as the cpu plans' undo records: mode 0600, never through a symlink.
        using var stream = FileFixStore.OpenForAppend(path);
        stream.Write(buffer.ToArray());
        stream.WriteByte((byte)'\n');

        // Written before the rule it describes: if we crash in between, undo still finds it.
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Reads the undo file; any line that is not a record written above is an error naming the line.</summary>
    internal static List<PlacementUndoRecord> ReadUndo(string path)
    {
        var records = new List<PlacementUndoRecord>();
        var info = new FileInfo(path);
        if (info.Length > InputLimits.MaxConfigBytes)
        {
            throw new ParseException(new ParseError(path, 0, 0, "undo file too large"));
        }

        var lines = File.ReadAllText(path).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            if (i == lines.Length - 1)
            {
                // A crash while appending can leave half a last line (no newline yet): the write it announced never happened.
                break;
            }

            try
            {
                using var doc = JsonDocument.Parse(lines[i]);
                var root = doc.RootElement;
                var id = root.GetProperty("id").GetString() ?? "";
                var sid = root.GetProperty("sid").GetString() ?? "";
                if (!id.StartsWith("proxclmc-vm", StringComparison.Ordinal) || !sid.StartsWith("vm:", StringComparison.Ordinal))
                {
                    throw new ParseException(new ParseError(path, i + 1, 1, "not a placement undo record"));
                }

                records.Add(new PlacementUndoRecord(
                    root.GetProperty("vmid").GetInt32(),
                    sid,
                    root.GetProperty("kind").GetString() == "rule",
                    id,
                    root.GetProperty("nodes").EnumerateArray().Select(n => n.GetString() ?? "").ToList(),
                    root.TryGetProperty("written", out var written) ? written.GetBoolean() : null));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new ParseException(new ParseError(path, i + 1, 1, "not a placement undo record: " + e.Message));
            }
        }

        return records;
    }

    private static string Count(int count, string what) => count == 1 ? $"1 {what}" : $"{count} {what}s";

    private static string OthersText(IReadOnlyList<int> others) =>
        others.Count == 0 ? "" : $"; unsafe guests left as they are (see the plan): {Ids(others)}";

    private static string Ids(IEnumerable<int> ids) => string.Join(", ", ids.Select(i => i.ToString(CultureInfo.InvariantCulture)));
}
