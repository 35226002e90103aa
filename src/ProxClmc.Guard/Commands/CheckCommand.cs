using System.CommandLine;
using System.Globalization;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Pipeline;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Commands;

/// <summary>
/// <c>check &lt;vmid&gt; [--target node]</c>: can this VM run there? <c>check --evacuate node</c>: where can each VM
/// of a node go before maintenance?
/// </summary>
internal static class CheckCommand
{
    public static Command Create(VerbRunner cli)
    {
        var vmid = new Argument<int?>("vmid") { Description = "The VM to check", Arity = ArgumentArity.ZeroOrOne };
        var target = new Option<string?>("--target") { Description = "Only this node (default: every node)", HelpName = "node" };
        var evacuate = new Option<string?>("--evacuate")
        {
            Description = "For each VM on this node (about to go into maintenance), the nodes it can safely live-migrate to",
            HelpName = "node",
        };
        var command = new Command("check", "Can a VM run on a node? Answers before a migration (exit 0 yes, 1 probably but unverified, 2 no, 3 unknown)");
        command.Arguments.Add(vmid);
        command.Options.Add(target);
        command.Options.Add(evacuate);
        var toCluster = ToClusterCommand.Option();
        command.Options.Add(toCluster);
        command.SetAction((parse, ct) => cli.RunAsync(parse, ctx =>
        {
            var id = parse.GetValue(vmid);
            var evacuateNode = parse.GetValue(evacuate);
            if (parse.GetValue(toCluster) is { } remote)
            {
                return id is not { } vm || evacuateNode is not null
                    ? throw new UsageException("check --to-cluster needs a VM id (and takes no --evacuate)")
                    : ToClusterCommand.CheckAsync(ctx, remote, vm, parse.GetValue(target), ct);
            }

            return (id, evacuateNode) switch
            {
                (null, null) => throw new UsageException("check needs a VM id or --evacuate <node>"),
                (not null, not null) => throw new UsageException("check takes either a VM id or --evacuate <node>, not both"),
                (null, { } node) => EvacuateAsync(ctx, node, ct, parse.GetValue(target)),
                ({ } vm, null) => CheckAsync(ctx, vm, parse.GetValue(target), ct),
            };
        }));
        return command;
    }

    private static void RefusePrometheus(CommandContext ctx)
    {
        if (ctx.Settings.Format == OutputFormat.Prometheus)
        {
            throw new UsageException("check --format prometheus: a check has no metrics; use table or json");
        }
    }

    public static async Task<int> CheckAsync(CommandContext ctx, int vmId, string? target, CancellationToken cancellationToken)
    {
        RefusePrometheus(ctx);
        var result = await ctx.CreatePipeline().ScanAsync(cancellationToken).ConfigureAwait(false);
        var guest = result.Inventory.Guests.FirstOrDefault(g => g.VmId == vmId)
            ?? throw new UsageException($"VM {vmId}: no such guest in the cluster ({result.Cluster.SourceDescription})"); // like scan --vmid: a typo is not "unknown"
        var advisor = Advisor(ctx, result);
        var nodes = target is null ? result.Cluster.Membership.Nodes.Select(n => n.Name).ToList() : [target];
        if (target is not null && !advisor.Nodes.Contains(target))
        {
            throw new UsageException($"--target {target}: no such node ({string.Join(", ", advisor.Nodes)})");
        }

        var answers = nodes.Select(n => advisor.Check(guest, n)).ToList();
        var placement = result.Ha.For(guest);

        // Without --target, nodes outside a strict HA rule are not places the VM can go: they do not count.
        var judged = target is null && placement?.StrictNodes is { } strict ? answers.Where(a => strict.Contains(a.Target)).ToList() : answers;
        var refused = judged.Where(a => a.IsRefused).Select(a => a.Target).ToList();
        var unknown = judged.Where(a => a.Allowed is null).Select(a => a.Target).ToList();
        var unverified = judged.Where(a => a.Allowed == true && a.Verdict == Verdict.Unverified).Select(a => a.Target).ToList();
        var warned = judged.Where(a => a.Allowed == true && a.Warnings.Count > 0).ToList();
        var exitCode = refused.Count > 0 ? ExitCodes.Unsafe : unknown.Count > 0 ? ExitCodes.Unknown : unverified.Count > 0 || warned.Count > 0 ? ExitCodes.Warning : ExitCodes.Ok;
        var verdict = result.Report.Verdicts.FirstOrDefault(v => v.Guest.VmId == vmId);
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(CheckJson.Check(guest, Describe(guest), answers, verdict, exitCode));
        }
        else
        {
            ctx.Out.WriteLine($"VM {vmId} ({guest.Name ?? "-"}) on {guest.Node}, cpu: {Describe(guest)}");
            if (placement is not null)
            {
                ctx.Out.WriteLine($"HA resource {placement.Sid} ({placement.State.ToString().ToLowerInvariant()}): {placement.Describe()}");
            }

            var width = Math.Max(4, answers.Max(a => a.Target.Length));
            foreach (var answer in answers)
            {
                var here = answer.Target == guest.Node ? " (current node)" : "";
                ctx.WriteRow($"  {answer.Target.PadRight(width)}  {State(answer),-10}  {answer.Reason}{here}{OutsideRule(placement, answer.Target)}");
                foreach (var warning in answer.Warnings)
                {
                    ctx.WriteRow($"  {new string(' ', width)}  {"",-10}  warning: {warning}");
                }
            }
        }

        return exitCode switch
        {
            ExitCodes.Unsafe => throw new GuardExitException(exitCode, $"VM {vmId} cannot run on {string.Join(", ", refused)}"),
            ExitCodes.Unknown => throw new GuardExitException(exitCode, $"VM {vmId}: cannot tell for {string.Join(", ", unknown)}"),
            ExitCodes.Warning when unverified.Count == 0 => throw new GuardExitException(exitCode, $"VM {vmId} can run on {string.Join(", ", warned.Select(a => a.Target))}, but: {warned[0].Warnings[0]}"),
            ExitCodes.Warning => throw new GuardExitException(exitCode, $"VM {vmId} probably runs on {string.Join(", ", unverified)}, but that cannot be verified: {answers.First(a => a.Verdict == Verdict.Unverified).Reason.Replace("probably: ", "", StringComparison.Ordinal)}"),
            _ => exitCode,
        };
    }

    /// <param name="target">With <c>--target</c>: plan the evacuation onto that node only.</param>
    public static async Task<int> EvacuateAsync(CommandContext ctx, string node, CancellationToken cancellationToken, string? target = null)
    {
        RefusePrometheus(ctx);
        var result = await ctx.CreatePipeline().ScanAsync(cancellationToken).ConfigureAwait(false);
        var advisor = Advisor(ctx, result);
        if (!advisor.Nodes.Contains(node))
        {
            throw new UsageException($"--evacuate {node}: no such node ({string.Join(", ", advisor.Nodes)})");
        }

        if (target is not null && !advisor.Nodes.Contains(target))
        {
            throw new UsageException($"--target {target}: no such node ({string.Join(", ", advisor.Nodes)})");
        }

        if (target == node)
        {
            throw new UsageException($"--target {target}: that is the node being evacuated");
        }

        var others = result.Cluster.Membership.Nodes.Select(n => n.Name).Where(n => n != node && (target is null || n == target)).ToList();
        var onNode = result.Inventory.Guests.Where(g => g.Node == node).OrderBy(g => g.VmId).ToList();
        var ignored = result.Report.Verdicts.Where(v => v.Guest.Node == node && v.Verdict == Verdict.Ignored).Select(v => v.Guest.VmId).ToHashSet();
        var guests = onNode.Where(g => g.Type == GuestType.Qemu && !ignored.Contains(g.VmId)).ToList();
        var containers = onNode.Where(g => g.Type == GuestType.Lxc).Select(g => g.VmId).ToList();
        var skippedVms = onNode.Where(g => g.Type == GuestType.Qemu && ignored.Contains(g.VmId)).Select(g => g.VmId).ToList();
        var capable = new Dictionary<(int, string), bool?>();
        var plan = guests.Select(g => (Guest: g, Answers: others.Select(n => advisor.Check(g, n)).ToList())).ToList();
        foreach (var (guest, answers) in plan)
        {
            foreach (var a in answers)
            {
                capable[(guest.VmId, a.Target)] = a.Allowed;
            }
        }

        // A strict HA rule: nodes outside it are no target at all (the HA manager refuses the migration).
        plan = plan.Select(p => result.Ha.For(p.Guest)?.StrictNodes is { } strict
                ? (p.Guest, p.Answers.Select(a => strict.Contains(a.Target) ? a : a with { Allowed = false, Reason = $"outside {result.Ha.For(p.Guest)!.Describe()}" }).ToList())
                : p)
            .ToList();
        var ha = HaMaintenance.Plan(
            node,
            result.Inventory.Guests.Where(g => g.Type == GuestType.Qemu).ToList(),
            result.Ha,
            result.Cluster.Membership.Nodes.Select(n => n.Name).ToList(),
            (g, n) => capable.TryGetValue((g.VmId, n), out var can) ? can : null);
        var haUnsafe = ha.Where(e => e.IsBlocker || e.IsAtRisk).Select(e => e.Placement.Sid).ToList();

        var stranded = plan.Where(p => p.Answers.All(a => a.Allowed != true) && p.Answers.All(a => a.Allowed is not null)).Select(p => p.Guest.VmId).ToList();
        var unknown = plan.Where(p => p.Answers.All(a => a.Allowed != true) && p.Answers.Any(a => a.Allowed is null)).Select(p => p.Guest.VmId).ToList();
        var exitCode = stranded.Count > 0 || haUnsafe.Count > 0 ? ExitCodes.Unsafe : unknown.Count > 0 ? ExitCodes.Unknown : ExitCodes.Ok;
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(CheckJson.Evacuate(node, others, plan.Select(p => (p.Guest, Describe(p.Guest), (IReadOnlyList<MigrationAnswer>)p.Answers, result.Report.Verdicts.FirstOrDefault(v => v.Guest.VmId == p.Guest.VmId))).ToList(), skippedVms, containers, exitCode));
        }
        else
        {
            ctx.Out.WriteLine($"Evacuating {node}: {Names.Count(guests.Count, "VM")}, candidate nodes {string.Join(", ", others)}");
            // Names and cpu values give up room first (shortened at a token boundary), so the targets stay on screen.
            var nameWidth = Math.Min(Math.Max(4, guests.Select(g => (g.Name ?? "-").Length).DefaultIfEmpty(0).Max()), ctx.Settings.Verbose ? int.MaxValue : Math.Max(10, ctx.Width / 6));
            var cpuWidth = Math.Min(Math.Max(3, guests.Select(g => Describe(g).Length).DefaultIfEmpty(0).Max()), ctx.Settings.Verbose ? int.MaxValue : Math.Max(16, ctx.Width / 4));
            // Two spaces between columns: a name as wide as its column still stands apart from the cpu.
            var indent = new string(' ', 6 + 2 + nameWidth + 2 + cpuWidth + 4);
            foreach (var (guest, answers) in plan)
            {
                var allowed = answers.Where(a => a.Allowed == true).Select(a => a.Target).ToList();
                var id = guest.VmId.ToString(CultureInfo.InvariantCulture);
                var name = ctx.Settings.Verbose ? guest.Name ?? "-" : TableWidth.Shorten(guest.Name ?? "-", nameWidth);
                var cpu = ctx.Settings.Verbose ? Describe(guest) : TableWidth.Shorten(Describe(guest), cpuWidth);
                ctx.WriteRow($"  {id,-6}  {name.PadRight(nameWidth)}  {cpu.PadRight(cpuWidth)} -> {(allowed.Count > 0 ? string.Join(", ", allowed) : "NOWHERE")}");
                foreach (var refused in answers.Where(a => a.Allowed != true))
                {
                    ctx.WriteRow($"  {indent}not {refused.Target}: {refused.Reason}");
                }
            }

            if (skippedVms.Count > 0)
            {
                ctx.Out.WriteLine($"Ignored (policy.ignore_tags / ignore_vmids), not checked: {string.Join(", ", skippedVms)}");
            }

            if (containers.Count > 0)
            {
                ctx.Out.WriteLine($"Containers are not checked (they use the node's kernel and CPU directly, and move by restart): {string.Join(", ", containers)}");
            }

            WriteMaintenance(ctx, node, ha);
            if (stranded.Count > 0)
            {
                ctx.Out.WriteLine($"No safe target: {string.Join(", ", stranded)}");
            }
            else if (unknown.Count == 0)
            {
                ctx.Out.WriteLine($"Every checked VM on {node} has at least one safe target.");
            }
        }

        return exitCode switch
        {
            ExitCodes.Unsafe when stranded.Count == 0 => throw new GuardExitException(exitCode, $"maintenance mode on {node}: the HA manager cannot safely move {string.Join(", ", haUnsafe)}"),
            ExitCodes.Unsafe => throw new GuardExitException(exitCode, $"{Names.Count(stranded.Count, "VM")} {(stranded.Count == 1 ? "has" : "have")} nowhere to go from {node}: {string.Join(", ", stranded)}"),
            ExitCodes.Unknown => throw new GuardExitException(exitCode, $"cannot tell where {string.Join(", ", unknown)} can go (node facts missing)"),
            _ => exitCode,
        };
    }

    /// <summary>
    /// What <c>ha-manager crm-command node-maintenance enable &lt;node&gt;</c> would do with each HA guest; returns the
    /// guests it cannot move safely (no capable candidate, or a candidate that cannot run it).
    /// </summary>
    private static List<string> WriteMaintenance(CommandContext ctx, string node, IReadOnlyList<HaEvacuation> plan)
    {
        var unsafeMoves = new List<string>();
        if (plan.Count == 0)
        {
            return unsafeMoves;
        }

        ctx.Out.WriteLine($"HA maintenance mode (ha-manager crm-command node-maintenance enable {node}): {plan.Count} HA guest{(plan.Count == 1 ? "" : "s")}");
        var sidWidth = plan.Max(e => e.Placement.Sid.Length);
        var indent = new string(' ', 2 + sidWidth + 2);
        foreach (var e in plan)
        {
            var sid = e.Placement.Sid.PadRight(sidWidth);
            var capable = e.CapableAllowed.Count > 0 ? string.Join(", ", e.CapableAllowed) : "none";
            if (!e.Moves)
            {
                ctx.WriteRow($"  {sid}  {e.Placement.State.ToString().ToLowerInvariant()}: not moved by maintenance mode; nodes that can run it: {capable}");
                continue;
            }

            var choice = e.Candidates.Count switch
            {
                0 => "HA has no node to move it to",
                1 => $"HA picks {e.Candidates[0]}",
                _ => $"HA picks the least loaded of {string.Join(", ", e.Candidates)}",
            };
            var status = e.IsBlocker ? "BLOCKED" : e.IsAtRisk ? "AT RISK" : "ok";
            ctx.WriteRow($"  {sid}  {status,-7}  {choice}; allowed nodes that can run it: {capable} ({e.Placement.Describe()})");
            foreach (var constraint in e.Constraints)
            {
                ctx.WriteRow($"{indent}{constraint}");
            }

            if (e.IncapableCandidates.Count > 0)
            {
                ctx.WriteRow($"{indent}{string.Join(", ", e.IncapableCandidates)} cannot run VM {e.Guest.VmId}: the migration there fails");
            }

            if (e.IsBlocker || e.IsAtRisk)
            {
                unsafeMoves.Add(e.Placement.Sid);
            }
        }

        var blockers = plan.Where(e => e.IsBlocker).Select(e => e.Placement.Sid).ToList();
        if (blockers.Count > 0)
        {
            ctx.Out.WriteLine($"HA blockers (no capable node for the HA scheduler): {string.Join(", ", blockers)}");
        }

        return unsafeMoves;
    }

    private static string OutsideRule(GuestPlacement? placement, string target) =>
        placement?.StrictNodes is { } strict && !strict.Contains(target)
            ? $" (outside {placement.Describe()}: the HA manager refuses this node)"
            : "";

    private static MigrationAdvisor Advisor(CommandContext ctx, ScanResult result) =>
        new(result.Cluster.Facts, CpuCatalog.Default, ctx.Settings.Policy, result.CustomModels);

    private static string State(MigrationAnswer answer) => answer.Allowed switch
    {
        true => "can run",
        false => "CANNOT",
        null => "unknown",
    };

    internal static string Describe(GuestConfig guest) => guest switch
    {
        { Type: GuestType.Lxc } => "container",
        { Kvm: false } => (guest.Cpu ?? "qemu64") + " (kvm: 0)",
        { Args: { } args } when QemuCpuArgument.FindIn(args) is { IsSuccess: true } arg =>
            "args: -cpu " + arg.Value.Model + string.Concat(arg.Value.Flags.Select(f => "," + f)),
        _ => guest.Cpu ?? "kvm64 (default)",
    };
}
