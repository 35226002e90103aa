using System.Globalization;
using ProxClmc.Guard.Application.Check;
using ProxClmc.Guard.Application.Evacuate;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;

namespace ProxClmc.Guard.Rendering;

/// <summary>
/// The text of <c>check &lt;vmid&gt;</c> and <c>check --evacuate</c>: each row fitted to <paramref name="width"/>
/// (whole with -v), names and cpu values shown, never obeyed.
/// </summary>
internal sealed class CheckText(TextWriter output, int width, bool verbose)
{
    private void Row(string line) => output.WriteLine(TableWidth.Fit(Names.Visible(line), width, !verbose));

    /// <summary>The guest's cpu as the check shows it: a container, kvm off, <c>args: -cpu</c>, or the cpu value.</summary>
    public static string Cpu(GuestConfig guest) => guest switch
    {
        { Type: GuestType.Lxc } => "container",
        { Kvm: false } => (guest.Cpu ?? "qemu64") + " (kvm: 0)",
        { Args: { } args } when QemuCpuArgument.FindIn(args) is { IsSuccess: true } arg =>
            "args: -cpu " + arg.Value.Model + string.Concat(arg.Value.Flags.Select(f => "," + f)),
        _ => guest.Cpu ?? "kvm64 (default)",
    };

    public void WriteCheck(CheckResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var guest = result.Guest;
        var placement = result.Placement;
        var answers = result.Answers;
        output.WriteLine($"VM {guest.VmId} ({guest.Name ?? "-"}) on {guest.Node}, cpu: {Cpu(guest)}");
        if (placement is not null)
        {
            output.WriteLine($"HA resource {placement.Sid} ({placement.State.ToString().ToLowerInvariant()}): {placement.Describe()}");
        }

        var nodeWidth = Math.Max(4, answers.Max(a => a.Target.Length));
        foreach (var answer in answers)
        {
            var here = answer.Target == guest.Node ? " (current node)" : "";
            Row($"  {answer.Target.PadRight(nodeWidth)}  {State(answer),-10}  {answer.Reason}{here}{OutsideRule(placement, answer.Target)}");
            foreach (var warning in answer.Warnings)
            {
                Row($"  {new string(' ', nodeWidth)}  {"",-10}  warning: {warning}");
            }
        }
    }

    public void WriteEvacuation(EvacuateResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var node = result.Node;
        var entries = result.Entries;
        output.WriteLine($"Evacuating {node}: {Names.Count(entries.Count, "VM")}, candidate nodes {string.Join(", ", result.Candidates)}");
        // Names and cpu values give up room first (shortened at a token boundary), so the targets stay on screen.
        var nameWidth = Math.Min(Math.Max(4, entries.Select(e => (e.Guest.Name ?? "-").Length).DefaultIfEmpty(0).Max()), verbose ? int.MaxValue : Math.Max(10, width / 6));
        var cpuWidth = Math.Min(Math.Max(3, entries.Select(e => Cpu(e.Guest).Length).DefaultIfEmpty(0).Max()), verbose ? int.MaxValue : Math.Max(16, width / 4));
        // Two spaces between columns: a name as wide as its column still stands apart from the cpu.
        var indent = new string(' ', 6 + 2 + nameWidth + 2 + cpuWidth + 4);
        foreach (var (guest, answers, _) in entries)
        {
            var allowed = answers.Where(a => a.Allowed == true).Select(a => a.Target).ToList();
            var id = guest.VmId.ToString(CultureInfo.InvariantCulture);
            var name = verbose ? guest.Name ?? "-" : TableWidth.Shorten(guest.Name ?? "-", nameWidth);
            var cpu = verbose ? Cpu(guest) : TableWidth.Shorten(Cpu(guest), cpuWidth);
            Row($"  {id,-6}  {name.PadRight(nameWidth)}  {cpu.PadRight(cpuWidth)} -> {(allowed.Count > 0 ? string.Join(", ", allowed) : "NOWHERE")}");
            foreach (var refused in answers.Where(a => a.Allowed != true))
            {
                Row($"  {indent}not {refused.Target}: {refused.Reason}");
            }
        }

        if (result.Ignored.Count > 0)
        {
            output.WriteLine($"Ignored (policy.ignore_tags / ignore_vmids), not checked: {string.Join(", ", result.Ignored)}");
        }

        if (result.Containers.Count > 0)
        {
            output.WriteLine($"Containers are not checked (they use the node's kernel and CPU directly, and move by restart): {string.Join(", ", result.Containers)}");
        }

        WriteMaintenance(node, result.Maintenance);
        if (result.Stranded.Count > 0)
        {
            output.WriteLine($"No safe target: {string.Join(", ", result.Stranded)}");
        }
        else if (result.Unknown.Count == 0)
        {
            output.WriteLine($"Every checked VM on {node} has at least one safe target.");
        }
    }

    /// <summary>What <c>ha-manager crm-command node-maintenance enable &lt;node&gt;</c> would do with each HA guest.</summary>
    private void WriteMaintenance(string node, IReadOnlyList<HaEvacuation> plan)
    {
        if (plan.Count == 0)
        {
            return;
        }

        output.WriteLine($"HA maintenance mode (ha-manager crm-command node-maintenance enable {node}): {plan.Count} HA guest{(plan.Count == 1 ? "" : "s")}");
        var sidWidth = plan.Max(e => e.Placement.Sid.Length);
        var indent = new string(' ', 2 + sidWidth + 2);
        foreach (var e in plan)
        {
            var sid = e.Placement.Sid.PadRight(sidWidth);
            var capable = e.CapableAllowed.Count > 0 ? string.Join(", ", e.CapableAllowed) : "none";
            if (!e.Moves)
            {
                Row($"  {sid}  {e.Placement.State.ToString().ToLowerInvariant()}: not moved by maintenance mode; nodes that can run it: {capable}");
                continue;
            }

            var choice = e.Candidates.Count switch
            {
                0 => "HA has no node to move it to",
                1 => $"HA picks {e.Candidates[0]}",
                _ => $"HA picks the least loaded of {string.Join(", ", e.Candidates)}",
            };
            var status = e.IsBlocker ? "BLOCKED" : e.IsAtRisk ? "AT RISK" : "ok";
            Row($"  {sid}  {status,-7}  {choice}; allowed nodes that can run it: {capable} ({e.Placement.Describe()})");
            foreach (var constraint in e.Constraints)
            {
                Row($"{indent}{constraint}");
            }

            if (e.IncapableCandidates.Count > 0)
            {
                Row($"{indent}{string.Join(", ", e.IncapableCandidates)} cannot run VM {e.Guest.VmId}: the migration there fails");
            }
        }

        var blockers = plan.Where(e => e.IsBlocker).Select(e => e.Placement.Sid).ToList();
        if (blockers.Count > 0)
        {
            output.WriteLine($"HA blockers (no capable node for the HA scheduler): {string.Join(", ", blockers)}");
        }
    }

    private static string OutsideRule(GuestPlacement? placement, string target) =>
        placement?.StrictNodes is { } strict && !strict.Contains(target)
            ? $" (outside {placement.Describe()}: the HA manager refuses this node)"
            : "";

    private static string State(MigrationAnswer answer) => answer.Allowed switch
    {
        true => "can run",
        false => "CANNOT",
        null => "unknown",
    };
}
