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
        var table = NewTable("VMID", "Name", "Node", "Old cpu", "New cpu", "Action", "Reason");
        foreach (var entry in plan.Entries)
        {
            table.AddRow(
                Cell(entry.VmId.ToString(CultureInfo.InvariantCulture)),
                Cell(entry.Name ?? "-"),
                Cell(entry.Node),
                Cell(entry.OldCpu ?? "(none)"),
                Cell(entry.NewCpu ?? "-"),
                Cell(entry.Action == FixAction.Change ? entry.Pending ? "change (pending)" : "change" : "skip"),
                Cell(entry.Reason));
        }

        console.Write(table);
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
        var table = NewTable("VMID", "Name", "Node", "New cpu", "Result", "Detail");
        foreach (var result in results)
        {
            table.AddRow(
                Cell(result.Entry.VmId.ToString(CultureInfo.InvariantCulture)),
                Cell(result.Entry.Name ?? "-"),
                Cell(result.Entry.Node),
                Cell(result.Entry.NewCpu ?? "-"),
                Cell(Name(result.Outcome, result.Pending)),
                Cell(result.Message));
        }

        console.Write(table);
        plain.Flush();
    }

    public static void WriteUndoResults(TextWriter output, int? width, string planId, IReadOnlyList<UndoResult> results)
    {
        var plain = new PlainConsole(output, width);
        var console = plain.Console;
        console.Write(new Text($"Undo of plan {planId}:\n"));
        var table = NewTable("VMID", "Node", "Our cpu", "Old cpu", "Result", "Detail");
        foreach (var result in results)
        {
            table.AddRow(
                Cell(result.Record.VmId.ToString(CultureInfo.InvariantCulture)),
                Cell(result.Record.Node),
                Cell(result.Record.NewCpu),
                Cell(result.Record.OldCpu ?? "(none)"),
                Cell(result.Outcome switch
                {
                    UndoOutcome.Restored => "restored",
                    UndoOutcome.AlreadyRestored => "already restored",
                    UndoOutcome.ChangedSince => "changed since",
                    UndoOutcome.NotWritten => "not written",
                    UndoOutcome.Skipped => "skipped",
                    _ => "FAILED",
                }),
                Cell(result.Message));
        }

        console.Write(table);
        plain.Flush();
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
