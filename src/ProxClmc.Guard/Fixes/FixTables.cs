using System.Globalization;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Rendering;
using Spectre.Console;
using Spectre.Console.Rendering;
using static ProxClmc.Guard.Rendering.PlainConsole;

namespace ProxClmc.Guard.Fixes;

/// <summary>The tables of <c>fix</c>: the plan, what applying it did, what undoing it did.</summary>
public static class FixTables
{
    public static void WritePlan(TextWriter output, int? width, FixPlan plan, string? savedIn)
    {
        var plain = new PlainConsole(output, width);
        var console = plain.Console;
        console.Write(new Text($"\nFix plan {plan.Id}: target {plan.TargetModel} ({plan.Target})" + (savedIn is null ? "" : $", saved in {savedIn}") + "\n"));
        console.Write(Fill(
            width,
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
            })));
        var changes = plan.ChangeEntries().Count();
        var pending = plan.ChangeEntries().Count(e => e.Pending);
        console.Write(new Text($"\n{changes} to change" + (pending > 0 ? $" ({pending} pending until the next cold start)" : "") + $", {plan.UnsafeSkips().Count()} unsafe left as they are, {plan.Entries.Count - changes - plan.UnsafeSkips().Count()} already safe or out of scope\n"));
        plain.Flush();
    }

    public static void WriteApplyResults(TextWriter output, int? width, FixPlan plan, IReadOnlyList<ApplyResult> results)
    {
        var plain = new PlainConsole(output, width);
        var console = plain.Console;
        console.Write(new Text($"\nApplied plan {plan.Id}:\n"));
        console.Write(Fill(
            width,
            ["VMID", "Name", "Node", "New cpu", "Result", "Detail"],
            results.Select(result => new[]
            {
                result.Entry.VmId.ToString(CultureInfo.InvariantCulture),
                result.Entry.Name ?? "-",
                result.Entry.Node,
                result.Entry.NewCpu ?? "-",
                Name(result.Outcome, result.Pending),
                result.Message,
            })));
        plain.Flush();
    }

    public static void WriteUndoResults(TextWriter output, int? width, string planId, IReadOnlyList<UndoResult> results)
    {
        var plain = new PlainConsole(output, width);
        var console = plain.Console;
        console.Write(new Text($"Undo of plan {planId}:\n"));
        console.Write(Fill(
            width,
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
            })));
        plain.Flush();
    }

    /// <summary>A table whose last column (the reason) is shortened at a token boundary to fit the width.</summary>
    private static Table Fill(int? width, string[] headers, IEnumerable<string[]> rows)
    {
        var all = rows.ToList();
        var others = Enumerable.Range(0, headers.Length - 1)
            .Select(c => Math.Max(headers[c].Length, all.Count == 0 ? 0 : all.Max(r => r[c].Length)));
        var table = NewTable(headers);
        var columns = others.ToList();
        foreach (var row in all)
        {
            table.AddRow([.. row[..^1].Select(Cell), Cell(LastCell(row[^1], width ?? TableWidth.ForConsole(), columns))]);
        }

        return table;
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
