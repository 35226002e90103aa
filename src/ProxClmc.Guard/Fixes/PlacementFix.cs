using System.Globalization;
using System.Text;
using System.Text.Json;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Commands;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Core.Parsing;
using ProxClmc.Guard.Infrastructure.Proxmox;
using ProxClmc.Guard.Pipeline;

namespace ProxClmc.Guard.Fixes;

/// <summary>One rule or group a placement fix wrote, appended to <c>&lt;plan-id&gt;.placement.jsonl</c> before the write.</summary>
public sealed record PlacementUndoRecord(int VmId, string Sid, bool IsRule, string Id, IReadOnlyList<string> Nodes);

/// <summary>
/// <c>fix --strategy placement</c>: plans strict node-affinity rules (PVE 9) or restricted groups (PVE 8) that keep
/// unsafe HA guests on the nodes that can run them, writes them with <c>--apply</c> (each write only while the HA
/// configuration still has the digest the plan was made against), and removes them with <c>fix --undo</c>.
/// </summary>
public static class PlacementFix
{
    public static string UndoPath(string undoDir, string planId) => Path.Combine(undoDir, planId + ".placement.jsonl");

    public static bool HasUndo(string undoDir, string planId) => FixPlan.IsValidId(planId) && File.Exists(UndoPath(undoDir, planId));

    public static async Task<int> PlanAsync(CommandContext ctx, FixRequest request, CancellationToken cancellationToken)
    {
        if (request.To is not null || request.IncludeRunning || request.FixPhysBits)
        {
            throw new UsageException("fix --strategy placement changes no cpu: --to, --include-running and --fix-phys-bits do not apply");
        }

        var client = ctx.Settings.From is null ? ctx.Sources.Resources as ProxmoxClient : null;
        if (request.Apply && client is null)
        {
            throw new UsageException("fix --apply needs the Proxmox API ([api] url in the config); --from snapshots are read-only");
        }

        var writer = client is null ? null : new ApiHaWriter(client);
        var result = await ctx.CreatePipeline().ScanAsync(cancellationToken).ConfigureAwait(false);
        var usesRules = writer is not null && await writer.UsesRulesAsync(cancellationToken).ConfigureAwait(false);
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

        var digest = writer is null ? null : await writer.DigestAsync(usesRules, cancellationToken).ConfigureAwait(false);

        var now = ctx.Environment.Clock.GetUtcNow();
        var plan = PlacementPlanner.Plan(result.Report, result.Ha, usesRules, request.AllowSingleNode, request.VmIds, FixPlan.NewId(now, Random.Shared.Next(0x10000)), now);
        var changes = plan.Changes.ToList();
        var others = plan.Entries.Where(e => !e.IsChange).Select(e => e.VmId).ToList();
        WritePlan(ctx, plan);

        if (!request.Apply || changes.Count == 0)
        {
            if (changes.Count > 0)
            {
                throw new GuardExitException(ExitCodes.Unsafe, $"{changes.Count} HA {(usesRules ? "rule" : "group")}{(changes.Count == 1 ? "" : "s")} to create (plan {plan.Id}); run `proxclmc-guard fix --strategy placement --apply` to write them");
            }

            return others.Count > 0
                ? throw new GuardExitException(ExitCodes.Unsafe, $"nothing to place; unsafe guests left as they are: {Ids(others)}")
                : ExitCodes.Ok;
        }

        var undoPath = UndoPath(ctx.Settings.Config.Fix.UndoDir, plan.Id);
        var expected = digest!;
        var written = 0;
        foreach (var entry in changes)
        {
            var now2 = await writer!.DigestAsync(usesRules, cancellationToken).ConfigureAwait(false);
            if (now2 != expected)
            {
                throw new GuardExitException(ExitCodes.Unsafe, $"the HA configuration changed since it was planned ({expected} -> {now2}); wrote {written} of {changes.Count}, nothing more{UndoHint(written, plan.Id)}");
            }

            AppendUndo(undoPath, new PlacementUndoRecord(entry.VmId, entry.Sid!, entry.Action == PlacementAction.CreateRule, entry.RuleId!, entry.KeepsNodes));
            try
            {
                await writer.CreateAsync(entry, plan.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (Core.Sources.SourceUnavailableException e)
            {
                throw new GuardExitException(ExitCodes.Unknown, $"VM {entry.VmId}: {e.Message}; stopped after {written} of {changes.Count}{UndoHint(written, plan.Id)}");
            }

            written++;
            ctx.Out.WriteLine($"  {entry.VmId}: created {(entry.Action == PlacementAction.CreateRule ? "strict node-affinity rule" : "restricted group")} '{entry.RuleId}' on {string.Join(", ", entry.KeepsNodes)}");
            expected = await writer.DigestAsync(usesRules, cancellationToken).ConfigureAwait(false);
        }

        return others.Count > 0
            ? throw new GuardExitException(ExitCodes.Unsafe, $"wrote {written} of {changes.Count}; unsafe guests left as they are: {Ids(others)}{UndoHint(written, plan.Id)}")
            : ExitCodes.Ok;
    }

    public static async Task<int> UndoAsync(CommandContext ctx, string planId, CancellationToken cancellationToken)
    {
        var client = (ctx.Settings.From is null ? ctx.Sources.Resources as ProxmoxClient : null)
            ?? throw new UsageException("fix --undo needs the Proxmox API ([api] url in the config); --from snapshots are read-only");
        var writer = new ApiHaWriter(client);
        var records = ReadUndo(UndoPath(ctx.Settings.Config.Fix.UndoDir, planId));
        var leftAlone = new List<int>();
        foreach (var record in records.AsEnumerable().Reverse())
        {
            var state = await writer.StateAsync(record.IsRule, record.Id, record.Sid, record.Nodes, cancellationToken).ConfigureAwait(false);
            var what = $"{(record.IsRule ? "rule" : "group")} '{record.Id}'";
            switch (state)
            {
                case PlacementState.AsWritten:
                    await writer.RemoveAsync(record.IsRule, record.Id, record.Sid, cancellationToken).ConfigureAwait(false);
                    ctx.Out.WriteLine($"  {record.VmId}: removed {what}");
                    break;
                case PlacementState.Gone:
                    ctx.Out.WriteLine($"  {record.VmId}: {what} is already gone");
                    break;
                default:
                    ctx.Out.WriteLine($"  {record.VmId}: {what} was changed since; left alone");
                    leftAlone.Add(record.VmId);
                    break;
            }
        }

        return leftAlone.Count > 0
            ? throw new GuardExitException(ExitCodes.Unsafe, $"left alone (changed since): {Ids(leftAlone)}")
            : ExitCodes.Ok;
    }

    private static void WritePlan(CommandContext ctx, PlacementPlan plan)
    {
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(RenderJson(plan));
            return;
        }

        ctx.Out.WriteLine($"Placement plan {plan.Id}: {(plan.UsesRules ? "strict node-affinity rules (Proxmox VE 9)" : "restricted HA groups (Proxmox VE 8)")}; cpu values are not changed");
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
            ctx.Out.WriteLine($"  {e.VmId.ToString(CultureInfo.InvariantCulture),-6} {(e.Name ?? "-").PadRight(nameWidth)} {e.Node,-6} {e.Cpu.PadRight(cpuWidth)}  {action}");
            if (e.IsChange)
            {
                ctx.Out.WriteLine($"         keeps cpu {e.Cpu} and the nodes {string.Join(", ", e.KeepsNodes)}; loses {string.Join(", ", e.LosesNodes)}");
            }
            else
            {
                ctx.Out.WriteLine($"         {e.Reason}");
            }
        }
    }

    private static string RenderJson(PlacementPlan plan)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
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
                json.WriteString("action", e.Action switch
                {
                    PlacementAction.CreateRule => "create-rule",
                    PlacementAction.CreateGroup => "create-group",
                    PlacementAction.Hookscript => "hookscript",
                    _ => "skip",
                });
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
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("vmid", record.VmId);
            json.WriteString("sid", record.Sid);
            json.WriteString("kind", record.IsRule ? "rule" : "group");
            json.WriteString("id", record.Id);
            WriteStrings(json, "nodes", record.Nodes);
            json.WriteEndObject();
        }

        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
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
                    root.GetProperty("nodes").EnumerateArray().Select(n => n.GetString() ?? "").ToList()));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new ParseException(new ParseError(path, i + 1, 1, "not a placement undo record: " + e.Message));
            }
        }

        return records;
    }

    private static string UndoHint(int written, string planId) => written > 0 ? $"; undo with `proxclmc-guard fix --undo {planId}`" : "";

    private static string Ids(IEnumerable<int> ids) => string.Join(", ", ids.Select(i => i.ToString(CultureInfo.InvariantCulture)));
}
