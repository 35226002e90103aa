using System.Globalization;
using ProxClmc.Guard.Application.Fix;
using ProxClmc.Guard.Core.Fixes;
using Spectre.Console;

namespace ProxClmc.Guard.Rendering;

/// <summary>The tables of <c>fix</c>: the plan, what applying it did, what undoing it did.</summary>
internal static class FixTables
{
    /// <param name="refusal">Why Proxmox's API refuses a cpu value: an old value it refuses cannot be put back by undo once written.</param>
    public static void WritePlan(TextWriter output, int? width, FixPlan plan, string? savedIn, bool shorten = true, Func<string, string?>? refusal = null)
    {
        var plain = new PlainConsole(output, width);
        var console = plain.Console;
        console.Write(new Text($"\nFix plan {plan.Id}: target {plan.TargetModel} ({plan.Target})" + (savedIn is null ? "" : $", saved in {savedIn}") + "\n"));
        plain.Flush();
        Fill(
            output,
            width,
            shorten,
            ["VMID", "Name", "Node", "Old cpu", "New cpu", "Change", "Action", "Reason"],
            plan.Entries.Select(entry => new[]
            {
                entry.VmId.ToString(CultureInfo.InvariantCulture),
                entry.Name ?? "-",
                entry.Node,
                entry.OldCpu ?? "(none)",
                entry.NewCpu ?? "-",
                entry.Action == FixAction.Change ? CpuValueChange.Describe(entry.OldCpu, entry.NewCpu) : "-",
                entry.Action == FixAction.Change ? entry.Pending ? "change (pending)" : "change" : "skip",
                entry.Reason,
            }),
            // The change is the point of a plan: it is never shortened; the whole values and the reason give way first.
            (3, 12),
            (4, 12),
            (1, 0),
            (2, 0),
            (3, 0),
            (4, 0));
        var changes = plan.ChangeEntries().Count();
        var pending = plan.ChangeEntries().Count(e => e.Pending);
        console.Write(new Text($"\n{changes} to change" + (pending > 0 ? $" ({pending} pending until the next cold start)" : "") + $", {plan.UnsafeSkips().Count()} unsafe left as they are, {plan.Entries.Count - changes - plan.UnsafeSkips().Count()} already safe or out of scope\n"));
        plain.Flush();

        // Said before --apply: undo can drop such a change while it is pending, not write the old value back later.
        foreach (var entry in plan.ChangeEntries())
        {
            if (entry.OldCpu is { } old && refusal?.Invoke(old) is { } why)
            {
                output.WriteLine(
                    $"VM {entry.VmId}: the old value cannot be written back through Proxmox's API ({why}); fix --undo reverts the change only while it is pending"
                    + $"; once written, `qm set {entry.VmId} --delete cpu` gives back what Proxmox ran (kvm64)");
            }
        }
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
                    UndoOutcome.NotRestorable => "NOT RESTORABLE",
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
