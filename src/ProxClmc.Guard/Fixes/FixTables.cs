using System.Globalization;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Rendering;
using Spectre.Console;

namespace ProxClmc.Guard.Fixes;

/// <summary>The tables of <c>fix</c>: the plan, what applying it did, what undoing it did.</summary>
public static class FixTables
{
    public static void WritePlan(TextWriter output, int? width, FixPlan plan, string? savedIn, bool shorten = true)
    {
        var plain = new PlainConsole(output, width);
        var console = plain.Console;
        console.Write(new Text($"\nFix plan {plan.Id}: target {plan.TargetModel} ({plan.Target})" + (savedIn is null ? "" : $", saved in {savedIn}") + "\n"));
        plain.Flush();
        Fill(
            output,
            width,
            shorten,
            ["VMID", "Name", "Node", "Old cpu", "New cpu", "Action", "Reason"],
            plan.Entries.Select(entry => new[]
            {
                entry.VmId.ToString(CultureInfo.InvariantCulture),
                entry.Name ?? "-",
                entry.Node,
                entry.OldCpu ?? "(none)",
                entry.NewCpu ?? "-",
                entry.Action == FixAction.Change ? entry.Pending ? "change (pending)" : "change" : "skip",
                entry.Reason,
            }),
            (3, 12),
            (4, 12),
            (1, 0),
            (2, 0));
        var changes = plan.ChangeEntries().Count();
        var pending = plan.ChangeEntries().Count(e => e.Pending);
        console.Write(new Text($"\n{changes} to change" + (pending > 0 ? $" ({pending} pending until the next cold start)" : "") + $", {plan.UnsafeSkips().Count()} unsafe left as they are, {plan.Entries.Count - changes - plan.UnsafeSkips().Count()} already safe or out of scope\n"));
        plain.Flush();
    }

    public static void WriteApplyResults(TextWriter output, int? width, FixPlan plan, IReadOnlyList<ApplyResult> results, bool shorten = true)
    {
        var plain = new PlainConsole(output, width);
        var console = plain.Console;
        console.Write(new Text($"\nApplied plan {plan.Id}:\n"));
        plain.Flush();
        Fill(
            output,
            width,
            shorten,
            ["VMID", "Name", "Node", "New cpu", "Result", "Detail"],
            results.Select(result => new[]
            {
                result.Entry.VmId.ToString(CultureInfo.InvariantCulture),
                result.Entry.Name ?? "-",
                result.Entry.Node,
                result.Entry.NewCpu ?? "-",
                Name(result.Outcome, result.Pending),
                result.Message,
            }),
            (3, 16),
            (1, 0),
            (2, 0));
        plain.Flush();
    }

    public static void WriteUndoResults(TextWriter output, int? width, string planId, IReadOnlyList<UndoResult> results, bool shorten = true)
    {
        var plain = new PlainConsole(output, width);
        var console = plain.Console;
        console.Write(new Text($"Undo of plan {planId}:\n"));
        plain.Flush();
        Fill(
            output,
            width,
            shorten,
            ["VMID", "Node", "Our cpu", "Old cpu", "Result", "Detail"],
            results.Select(result => new[]
            {
                result.Record.VmId.ToString(CultureInfo.InvariantCulture),
                result.Record.Node,
                result.Record.NewCpu,
                result.Record.OldCpu ?? "(none)",
                result.Outcome switch
                {
                    UndoOutcome.Restored => "restored",
                    UndoOutcome.AlreadyRestored => "already restored",
                    UndoOutcome.ChangedSince => "changed since",
                    UndoOutcome.NotWritten => "not written",
                    UndoOutcome.Skipped => "skipped",
                    _ => "FAILED",
                },
                result.Message,
            }),
            (2, 16),
            (3, 16),
            (1, 0));
        plain.Flush();
    }

    /// <summary>The table under the width policy: cpu values give up room first, then the name and node columns are left out; id and outcome stay.</summary>
    private static void Fill(TextWriter output, int? width, bool shorten, string[] headers, IEnumerable<string[]> rows, params (int Column, int Floor)[] shrinkable)
    {
        output.WriteLine();
        TextTable.Write(output, width ?? TableWidth.ForConsole(), headers, rows.ToList(), shrinkable, shorten);
    }

    private static string Name(ApplyOutcome outcome, bool pending) => outcome switch
    {
        ApplyOutcome.Applied => pending ? "applied (pending)" : "applied",
        ApplyOutcome.Conflict => "CONFLICT",
        ApplyOutcome.Skipped => "skipped",
        ApplyOutcome.Failed => "FAILED",
        _ => "not attempted",
    };
}
