using System.CommandLine;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Hook;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Hook;

namespace ProxClmc.Guard.Commands;

/// <summary>
/// <c>hook &lt;vmid&gt; &lt;phase&gt;</c>: the hookscript entry point (contrib/hookscript/proxclmc-guard-hook execs it).
/// <c>hook attach</c>: installs the snippet and sets <c>hookscript</c> on VMs that have none.
/// </summary>
internal static class HookCommand
{
    public static Command Create(VerbRunner cli, Func<CommandContext, string, ICollection<IDisposable>, HookDecision> decision, Func<string, IHookscriptSetter> setter)
    {
        var vmid = new Argument<int>("vmid") { Description = "VM id, as Proxmox passes it" };
        var phase = new Argument<string>("phase") { Description = "pre-start, post-start, pre-stop or post-stop" };
        var command = new Command("hook", "Hookscript entry point: refuses an incoming live migration this node cannot run (exit 2)");
        command.Arguments.Add(vmid);
        command.Arguments.Add(phase);
        command.SetAction((parse, ct) => cli.RunAsync(parse, async ctx =>
        {
            var localNode = ctx.Settings.LocalNode ?? ctx.Environment.HostName();
            var owned = new List<IDisposable>();
            try
            {
                var runner = new HookRunner(
                    ctx.Settings,
                    localNode,
                    ctx.Environment.FileSystem,
                    ctx.Environment.GetEnvironmentVariable,
                    ctx.Log,
                    ctx.Environment.Error,
                    () => decision(ctx, localNode, owned),
                    ctx.Environment.Clock,
                    logRefusals: ctx.LogVerdicts,
                    budget: ctx.Environment.HookBudget);
                return await runner.RunAsync(parse.GetValue(vmid), parse.GetValue(phase)!, ct).ConfigureAwait(false);
            }
            finally
            {
                lock (owned)
                {
                    owned.ForEach(o => o.Dispose());
                }
            }
        }, hook: true));

        var ids = new Option<int[]>("--vmid") { Description = "Attach to these VMs (repeatable)", HelpName = "id" };
        var all = new Option<bool>("--all") { Description = "Attach to every VM that has no hookscript" };
        var storage = new Option<string>("--storage") { Description = "Snippets storage to install the hookscript on", DefaultValueFactory = _ => "local", HelpName = "storage" };
        var snippets = new Option<string>("--snippets-dir")
        {
            Description = "Folder of that storage's snippets (local: /var/lib/vz/snippets)",
            DefaultValueFactory = _ => "/var/lib/vz/snippets",
            HelpName = "dir",
        };
        var script = new Option<string>("--script")
        {
            Description = "The hookscript to install",
            DefaultValueFactory = _ => "/usr/share/proxclmc-guard/proxclmc-guard-hook",
            HelpName = "file",
        };
        var attach = new Command("attach", "Install the hookscript snippet and set it on VMs that have no hookscript yet");
        foreach (var option in new Option[] { ids, all, storage, snippets, script })
        {
            attach.Options.Add(option);
        }

        attach.SetAction((parse, ct) => cli.RunAsync(parse, ctx => AttachAsync(
            ctx,
            parse.GetValue(ids) ?? [],
            parse.GetValue(all),
            parse.GetValue(storage)!,
            parse.GetValue(snippets)!,
            parse.GetValue(script)!,
            setter(ctx.Settings.LocalNode ?? ctx.Environment.HostName()),
            ct)));
        command.Subcommands.Add(attach);
        return command;
    }

    public static async Task<int> AttachAsync(CommandContext ctx, IReadOnlyList<int> vmIds, bool all, string storage, string snippetsDir, string script, IHookscriptSetter setter, CancellationToken cancellationToken)
    {
        if (ctx.Settings.From is not null)
        {
            throw new UsageException("hook attach changes the live cluster's VMs; it cannot be combined with --from");
        }

        if (vmIds.Count == 0 && !all)
        {
            throw new UsageException("hook attach needs --vmid <id> (repeatable) or --all");
        }

        if (ctx.Settings.Format != OutputFormat.Table)
        {
            throw new UsageException("hook attach prints a table only; --format json and prometheus are not available for it");
        }

        var inventory = await ctx.Sources.Guests.GetGuestsAsync(cancellationToken).ConfigureAwait(false);
        var guests = inventory.Guests.Where(g => all || vmIds.Contains(g.VmId)).ToList();
        foreach (var missing in vmIds.Where(id => guests.All(g => g.VmId != id)))
        {
            throw new UsageException($"--vmid {missing}: no such VM");
        }

        var volume = $"{storage}:snippets/{HookAttachPlan.SnippetName}";
        var target = Path.Combine(snippetsDir, HookAttachPlan.SnippetName);
        if (!File.Exists(script))
        {
            throw new GuardExitException(ExitCodes.Unknown, $"{script}: hookscript not found (install the package, or pass --script)");
        }

        // An output folder given on the command line must exist: a typo must not create a tree of folders as root.
        if (!Directory.Exists(snippetsDir) && !File.Exists(snippetsDir))
        {
            throw new UsageException($"--snippets-dir {snippetsDir}: folder does not exist (enable the snippets content type on storage '{storage}', which creates it)");
        }

        var hookscript = File.ReadAllBytes(script);
        IoErrors.AtUserPath("--snippets-dir", snippetsDir, () =>
        {
            // Replaced atomically with mode 0755 set on the handle: the snippets folder must not let others swap names in it.
            Infrastructure.IO.AtomicFile.WriteAllBytes(target, hookscript, Infrastructure.IO.AtomicFile.Mode0755);
            return true;
        });
        ctx.Out.WriteLine($"Installed {target} ({volume}).");

        // A VM whose hookscript volume is missing on a node cannot start there (Proxmox refuses the start): attach only
        // when every node offers the snippet, through a shared storage or a copy on each node.
        var membership = await ctx.Sources.Membership.GetMembershipAsync(cancellationToken).ConfigureAwait(false);
        var lacking = new List<string>();
        var unknown = new List<(string Node, string? Error)>();
        foreach (var node in membership.Nodes.Select(n => n.Name).Concat(guests.Select(g => g.Node)).Distinct().Order(StringComparer.Ordinal))
        {
            var listing = await setter.ListSnippetsAsync(node, storage, cancellationToken).ConfigureAwait(false);
            if (listing.Volumes is null)
            {
                unknown.Add((node, listing.Error));
            }
            else if (!listing.Volumes.Contains(volume, StringComparer.Ordinal))
            {
                lacking.Add(node);
            }
        }

        // Containers named with --vmid: the hook guards VM migrations only; say so rather than skip them silently.
        foreach (var container in guests.Where(g => g.Type == Core.Guests.GuestType.Lxc && vmIds.Contains(g.VmId)).OrderBy(g => g.VmId))
        {
            ctx.WriteRow($"  {container.VmId,-6} {container.Node,-10} not attached: a container (this hookscript guards VM live migrations only)");
        }

        // Not knowing is not "missing": no VM is attached, and the reason is said once (exit 3).
        if (unknown.Count > 0)
        {
            var errors = unknown.Select(u => u.Error).Distinct().ToList();
            var nodes = string.Join(", ", unknown.Select(u => u.Node));
            throw new GuardExitException(
                ExitCodes.Unknown,
                $"cannot tell whether {volume} is available on {nodes} ({(errors.Count == 1 ? errors[0] : string.Join("; ", unknown.Select(u => $"{u.Node}: {u.Error}")))}); no VM attached");
        }

        if (lacking.Count > 0)
        {
            ctx.Out.WriteLine($"{volume} is not available on {string.Join(", ", lacking)}: a VM with it could not start there.");
            ctx.Out.WriteLine($"Enable the snippets content type on storage '{storage}' and use a shared storage (--storage), or install the package (hook attach) on every node.");
        }

        var refused = new List<int>();
        var failed = new List<int>();
        foreach (var action in HookAttachPlan.Plan(guests, volume))
        {
            if (!action.Attach)
            {
                ctx.WriteRow($"  {action.VmId,-6} {action.Node,-10} {action.Reason}");
                continue;
            }

            if (lacking.Count > 0)
            {
                ctx.WriteRow($"  {action.VmId,-6} {action.Node,-10} NOT attached: the snippet is missing on {string.Join(", ", lacking.Select(l => l.Split(' ')[0]))}");
                refused.Add(action.VmId);
                continue;
            }

            var (ok, message) = await setter.SetAsync(action.Node, action.VmId, volume, cancellationToken).ConfigureAwait(false);
            ctx.WriteRow($"  {action.VmId,-6} {action.Node,-10} {(ok ? action.Reason : "FAILED: " + message)}");
            if (!ok)
            {
                failed.Add(action.VmId);
            }
        }

        ctx.Out.WriteLine("To detach: qm set <vmid> --delete hookscript on the VM's node (every VM: see \"Removing the hookscript\" in proxclmc-guard(1)).");
        if (failed.Count > 0)
        {
            throw new GuardExitException(ExitCodes.Unknown, $"{Vms(failed.Count)} could not be attached: {string.Join(", ", failed)}" + (refused.Count > 0 ? $"; {Vms(refused.Count)} left alone: the snippet is missing on some node" : ""));
        }

        return refused.Count > 0
            ? throw new GuardExitException(ExitCodes.Unsafe, $"{Vms(refused.Count)} not attached: {volume} is missing on {string.Join(", ", lacking.Select(l => l.Split(' ')[0]))}")
            : ExitCodes.Ok;
    }

    private static string Vms(int count) => Rendering.Names.Count(count, "VM");
}
