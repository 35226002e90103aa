using System.Globalization;
using System.Net.Http;
using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Core.Placement;
using ProxClmc.Guard.Core.Sources;
using Serilog;

namespace ProxClmc.Guard.Application.Placement;

/// <summary>
/// Writes a placement plan: exactly its rules or groups, each announced in the undo records first and written only
/// while the HA configuration has the digests the plan (or our own previous write) left.
/// </summary>
public static class PlacementApplying
{
    private const string NewPlan = "make a new plan with `proxclmc-guard fix --strategy placement`";

    /// <summary>
    /// A saved placement plan read back from disk, before <c>fix --apply &lt;plan-id&gt;</c> writes it: it must hold
    /// the digests that guard its writes, and only the rules or groups this version makes.
    /// </summary>
    /// <exception cref="InvalidRequestException">The plan cannot be written as it is.</exception>
    public static void CheckSaved(FixPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var placement = plan.Placement
            ?? throw new InvalidRequestException($"--apply {plan.Id}: the plan file names strategy placement but holds no placement; {NewPlan}");
        if (placement.HaDigest is null || !string.Equals(placement.Id, plan.Id, StringComparison.Ordinal))
        {
            throw new InvalidRequestException($"--apply {plan.Id}: the plan holds no digest of the HA configuration to guard its writes; {NewPlan}");
        }

        if (placement.Entries.Any(e => e is null))
        {
            throw new InvalidRequestException($"--apply {plan.Id}: the plan file holds an empty entry; {NewPlan}");
        }

        foreach (var entry in placement.Changes())
        {
            if (Invalid(entry, placement.UsesRules) is { } problem)
            {
                throw new InvalidRequestException($"--apply {plan.Id}: VM {entry.VmId} in the plan: {problem}; {NewPlan}");
            }
        }
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

    /// <summary>Writes the plan's rules or groups in order; the first refused or failed write stops the rest.</summary>
    public static async Task<PlacementApplyResult> ApplyAsync(FixPlan plan, IHaWriter writer, IPlacementUndoStore undo, ILogger log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(undo);
        ArgumentNullException.ThrowIfNull(log);
        var placement = plan.Placement!;
        var changes = placement.Changes().ToList();
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
            undo.Append(plan.Id, record);
            HaWriteState before;
            try
            {
                // Creating a rule or group takes no digest in Proxmox: the guard is this check right before the write.
                before = await writer.ReadAsync(placement.UsesRules, cancellationToken).ConfigureAwait(false);
                if (before.Digest != expected)
                {
                    undo.Append(plan.Id, record with { Written = false });
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
                undo.Append(plan.Id, record with { Written = false });
                results.Add(new PlacementResult(entry, PlacementOutcome.Failed, "write failed: " + e.Message));
                continue;
            }

            var how = entry.Action == PlacementAction.CreateRule ? "strict node-affinity rule" : "restricted group";
            results.Add(new PlacementResult(entry, PlacementOutcome.Applied, $"created {how} '{entry.RuleId}' on {string.Join(", ", entry.KeepsNodes)}"));
            log.ForContext("PROXCLMC_VMID", entry.VmId)
                .ForContext("PROXCLMC_NODE", entry.Node)
                .ForContext("PROXCLMC_PLAN", plan.Id)
                .Information("VM {VmId}: created {How} {RuleId} on {Nodes} (plan {PlanId})", entry.VmId, how, entry.RuleId, string.Join(",", entry.KeepsNodes), plan.Id);

            // Our own write changed the digests: the next write is guarded by the configuration as we left it, when
            // it differs from the one before the write by exactly what we wrote.
            try
            {
                var after = await writer.ReadAsync(placement.UsesRules, cancellationToken).ConfigureAwait(false);
                expected = writer.OnlyWritten(before, after, entry) ? after.Digest : null;
                unconfirmed = "someone else changed the HA configuration while this plan was being written";
            }
            catch (SourceUnavailableException e)
            {
                expected = null;
                unconfirmed = "the HA configuration could not be read back after the previous write: " + e.Message;
            }
        }

        return new PlacementApplyResult(plan, results) { ChangedFiles = changedFiles };
    }

    /// <summary>Which HA files the two digests (<c>resources=... rules=...</c>) say changed.</summary>
    private static string Changed(string planned, string now)
    {
        var before = planned.Split(' ');
        var after = now.Split(' ');
        var files = before.Zip(after).Where(p => p.First != p.Second).Select(p => "ha/" + p.First.Split('=')[0] + ".cfg").ToList();
        return files.Count == 0 || before.Length != after.Length ? "the HA configuration" : string.Join(" and ", files);
    }
}
