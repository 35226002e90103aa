using System.CommandLine;
using System.Globalization;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Pipeline;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Commands;

/// <summary>
/// <c>check &lt;vmid&gt; [--target node]</c>: can this VM run there? <c>check --evacuate node</c>: where can each VM
/// of a node go before maintenance?
/// </summary>
public static class CheckCommand
{
    public static Command Create(GuardCli cli)
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
        command.SetAction((parse, ct) => cli.RunAsync(parse, ctx =>
        {
            var id = parse.GetValue(vmid);
            var evacuateNode = parse.GetValue(evacuate);
            return (id, evacuateNode) switch
            {
                (null, null) => throw new UsageException("check needs a VM id or --evacuate <node>"),
                (not null, not null) => throw new UsageException("check takes either a VM id or --evacuate <node>, not both"),
                (null, { } node) => EvacuateAsync(ctx, node, ct),
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
            ?? throw new GuardExitException(ExitCodes.Unknown, $"VM {vmId} not found in {result.Cluster.SourceDescription}");
        var advisor = Advisor(ctx, result);
        var nodes = target is null ? result.Cluster.Membership.Nodes.Select(n => n.Name).ToList() : [target];
        if (target is not null && !advisor.Nodes.Contains(target))
        {
            throw new UsageException($"--target {target}: no such node ({string.Join(", ", advisor.Nodes)})");
        }

        var answers = nodes.Select(n => advisor.Check(guest, n)).ToList();
        var refused = answers.Where(a => a.IsRefused).Select(a => a.Target).ToList();
        var unknown = answers.Where(a => a.Allowed is null).Select(a => a.Target).ToList();
        var unverified = answers.Where(a => a.Allowed == true && a.Verdict == Verdict.Unverified).Select(a => a.Target).ToList();
        var exitCode = refused.Count > 0 ? ExitCodes.Unsafe : unknown.Count > 0 ? ExitCodes.Unknown : unverified.Count > 0 ? ExitCodes.Warning : ExitCodes.Ok;
        var verdict = result.Report.Verdicts.FirstOrDefault(v => v.Guest.VmId == vmId);
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(CheckJson.Check(guest, Describe(guest), answers, verdict, exitCode));
        }
        else
        {
            ctx.Out.WriteLine($"VM {vmId} ({guest.Name ?? "-"}) on {guest.Node}, cpu: {Describe(guest)}");
            var width = Math.Max(4, answers.Max(a => a.Target.Length));
            foreach (var answer in answers)
            {
                var here = answer.Target == guest.Node ? " (current node)" : "";
                ctx.Out.WriteLine($"  {answer.Target.PadRight(width)}  {State(answer),-10}  {answer.Reason}{here}");
            }
        }

        return exitCode switch
        {
            ExitCodes.Unsafe => throw new GuardExitException(exitCode, $"VM {vmId} cannot run on {string.Join(", ", refused)}"),
            ExitCodes.Unknown => throw new GuardExitException(exitCode, $"VM {vmId}: cannot tell for {string.Join(", ", unknown)}"),
            ExitCodes.Warning => throw new GuardExitException(exitCode, $"VM {vmId} probably runs on {string.Join(", ", unverified)}, but that cannot be verified: {answers.First(a => a.Verdict == Verdict.Unverified).Reason.Replace("probably: ", "", StringComparison.Ordinal)}"),
            _ => exitCode,
        };
    }

    public static async Task<int> EvacuateAsync(CommandContext ctx, string node, CancellationToken cancellationToken)
    {
        RefusePrometheus(ctx);
        var result = await ctx.CreatePipeline().ScanAsync(cancellationToken).ConfigureAwait(false);
        var advisor = Advisor(ctx, result);
        if (!advisor.Nodes.Contains(node))
        {
            throw new UsageException($"--evacuate {node}: no such node ({string.Join(", ", advisor.Nodes)})");
        }

        var others = result.Cluster.Membership.Nodes.Select(n => n.Name).Where(n => n != node).ToList();
        var onNode = result.Inventory.Guests.Where(g => g.Node == node).OrderBy(g => g.VmId).ToList();
        var ignored = result.Report.Verdicts.Where(v => v.Guest.Node == node && v.Verdict == Verdict.Ignored).Select(v => v.Guest.VmId).ToHashSet();
        var guests = onNode.Where(g => g.Type == GuestType.Qemu && !ignored.Contains(g.VmId)).ToList();
        var containers = onNode.Where(g => g.Type == GuestType.Lxc).Select(g => g.VmId).ToList();
        var skippedVms = onNode.Where(g => g.Type == GuestType.Qemu && ignored.Contains(g.VmId)).Select(g => g.VmId).ToList();
        var plan = guests.Select(g => (Guest: g, Answers: others.Select(n => advisor.Check(g, n)).ToList())).ToList();

        var stranded = plan.Where(p => p.Answers.All(a => a.Allowed != true) && p.Answers.All(a => a.Allowed is not null)).Select(p => p.Guest.VmId).ToList();
        var unknown = plan.Where(p => p.Answers.All(a => a.Allowed != true) && p.Answers.Any(a => a.Allowed is null)).Select(p => p.Guest.VmId).ToList();
        var exitCode = stranded.Count > 0 ? ExitCodes.Unsafe : unknown.Count > 0 ? ExitCodes.Unknown : ExitCodes.Ok;
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(CheckJson.Evacuate(node, others, plan.Select(p => (p.Guest, Describe(p.Guest), (IReadOnlyList<MigrationAnswer>)p.Answers, result.Report.Verdicts.FirstOrDefault(v => v.Guest.VmId == p.Guest.VmId))).ToList(), skippedVms, containers, exitCode));
        }
        else
        {
            ctx.Out.WriteLine($"Evacuating {node}: {Count(guests.Count, "VM")}, candidate nodes {string.Join(", ", others)}");
            var nameWidth = Math.Max(4, guests.Select(g => (g.Name ?? "-").Length).DefaultIfEmpty(0).Max());
            var cpuWidth = Math.Max(3, guests.Select(g => Describe(g).Length).DefaultIfEmpty(0).Max());
            var indent = new string(' ', 6 + 1 + nameWidth + 1 + cpuWidth + 4);
            foreach (var (guest, answers) in plan)
            {
                var allowed = answers.Where(a => a.Allowed == true).Select(a => a.Target).ToList();
                var id = guest.VmId.ToString(CultureInfo.InvariantCulture);
                ctx.Out.WriteLine($"  {id,-6} {(guest.Name ?? "-").PadRight(nameWidth)} {Describe(guest).PadRight(cpuWidth)} -> {(allowed.Count > 0 ? string.Join(", ", allowed) : "NOWHERE")}");
                foreach (var refused in answers.Where(a => a.Allowed != true))
                {
                    ctx.Out.WriteLine($"  {indent}not {refused.Target}: {refused.Reason}");
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
            ExitCodes.Unsafe => throw new GuardExitException(exitCode, $"{Count(stranded.Count, "VM")} {(stranded.Count == 1 ? "has" : "have")} nowhere to go from {node}: {string.Join(", ", stranded)}"),
            ExitCodes.Unknown => throw new GuardExitException(exitCode, $"cannot tell where {string.Join(", ", unknown)} can go (node facts missing)"),
            _ => exitCode,
        };
    }

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    private static MigrationAdvisor Advisor(CommandContext ctx, ScanResult result) =>
        new(result.Cluster.Facts, CpuCatalog.Default, ctx.Settings.Policy, result.CustomModels);

    private static string State(MigrationAnswer answer) => answer.Allowed switch
    {
        true => "can run",
        false => "CANNOT",
        null => "unknown",
    };

    private static string Describe(GuestConfig guest) => guest switch
    {
        { Type: GuestType.Lxc } => "container",
        { Kvm: false } => (guest.Cpu ?? "qemu64") + " (kvm: 0)",
        { Args: { } args } when QemuCpuArgument.FindIn(args) is { IsSuccess: true } arg =>
            "args: -cpu " + arg.Value.Model + string.Concat(arg.Value.Flags.Select(f => "," + f)),
        _ => guest.Cpu ?? "kvm64 (default)",
    };
}
