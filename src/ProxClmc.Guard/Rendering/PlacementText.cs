using System.Globalization;
using ProxClmc.Guard.Application.Placement;
using ProxClmc.Guard.Core.Placement;

namespace ProxClmc.Guard.Rendering;

/// <summary>
/// The text of <c>fix --strategy placement</c>: the plan, what writing it did and what undoing it did, each row
/// fitted to <paramref name="width"/> (whole with -v), names shown, never obeyed.
/// </summary>
internal sealed class PlacementText(TextWriter output, int width, bool verbose)
{
    private void Row(string line) => output.WriteLine(TableWidth.Fit(Names.Visible(line), width, !verbose));

    public void WritePlan(PlacementPlan plan, string? savedIn)
    {
        ArgumentNullException.ThrowIfNull(plan);
        output.WriteLine($"Placement plan {plan.Id}: {(plan.UsesRules ? "strict node-affinity rules (Proxmox VE 9)" : "restricted HA groups (Proxmox VE 8)")}; cpu values are not changed{(savedIn is null ? "" : $"; saved in {savedIn}")}");
        if (plan.Entries.Count == 0)
        {
            output.WriteLine("No unsafe guest.");
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
            Row($"  {e.VmId.ToString(CultureInfo.InvariantCulture),-6} {(e.Name ?? "-").PadRight(nameWidth)} {e.Node,-6} {e.Cpu.PadRight(cpuWidth)}  {action}");
            Row(e.IsChange
                ? $"         keeps cpu {e.Cpu} and the nodes {string.Join(", ", e.KeepsNodes)}; loses {string.Join(", ", e.LosesNodes)}"
                : $"         {e.Reason}");
        }
    }

    public void WriteApplyResults(PlacementApplyResult applied)
    {
        ArgumentNullException.ThrowIfNull(applied);
        foreach (var r in applied.Results)
        {
            Row($"  {r.Entry.VmId.ToString(CultureInfo.InvariantCulture)}: {r.Message}");
        }
    }

    public void WriteUndoResults(PlacementUndoneResult undone)
    {
        ArgumentNullException.ThrowIfNull(undone);
        if (undone.Results.Count == 0)
        {
            output.WriteLine($"Plan {undone.PlanId} wrote nothing: nothing to undo.");
            return;
        }

        foreach (var r in undone.Results)
        {
            Row($"  {r.Record.VmId.ToString(CultureInfo.InvariantCulture)}: {r.Message}");
        }
    }
}
