using System.Diagnostics;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Infrastructure.Snapshot;
using ProxClmc.Guard.Pipeline;
using Serilog;

namespace ProxClmc.Guard.Hook;

/// <summary>Finds another node's CPU facts for a <c>host</c> guest's migration source (state cache, then SSH), within a time budget.</summary>
public delegate Task<NodeFacts?> SourceFactsLookup(string node, CancellationToken cancellationToken);

/// <summary>
/// The Proxmox hookscript entry point. On the migration target Proxmox runs <c>pre-start</c> with
/// <c>PVE_MIGRATED_FROM</c> set; a non-zero exit aborts the start and cancels the migration cleanly while the VM
/// keeps running on the source. Proxmox applies no timeout to hookscripts, so every step here is bounded.
/// </summary>
public sealed class HookRunner(
    RunSettings settings,
    string localNode,
    IFileSystem fileSystem,
    Func<string, string?> environment,
    ILogger log,
    TextWriter error,
    SourceFactsLookup? sourceFacts,
    TimeProvider clock,
    bool logRefusals = true,
    TimeSpan? budget = null)
{
    /// <summary>The whole decision must be made well inside the 2 s a migration can wait for it.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(1800);

    public const int Refused = 2;

    private readonly TimeSpan _budget = budget ?? Budget;

    // Lines and log events of the decision, written only once the answer and exit code are final (see Flush).
    private readonly DecisionOutput _output = new();

    public async Task<int> RunAsync(int vmId, string phase, CancellationToken cancellationToken)
    {
        // Resolved before anything else: a chain that cannot be run safely is a configuration error (78), which the
        // hook verb turns into allow or refuse by hook.fail_closed like every failure outside the decision.
        // It is opened here and run later as that very file, so a swap of the path in between changes nothing.
        using var chain = settings.HookChain is { } configured ? HookChain.Resolve(configured, settings.PveRoot, fileSystem) : null;
        var migratedFrom = environment("PVE_MIGRATED_FROM");
        var verdict = phase == "pre-start"
            ? await DecideAsync(vmId, migratedFrom, cancellationToken).ConfigureAwait(false)
            : HookVerdict.Allow;

        // The answer is final here; its line comes now, logging after it, best effort: it can neither delay nor change it.
        Flush(_output);
        if (verdict == HookVerdict.Refuse)
        {
            return Refused;
        }

        return chain is not null ? await RunChainAsync(chain, vmId, phase, cancellationToken).ConfigureAwait(false) : 0;
    }

    private void Flush(DecisionOutput output)
    {
        var (lines, logs) = output.Take();
        foreach (var line in lines)
        {
            try
            {
                error.WriteLine(line);
            }
            catch (IOException)
            {
            }
        }

        foreach (var write in logs)
        {
            try
            {
                write(log);
            }
#pragma warning disable CA1031 // Logging is best effort: a failing sink must not turn an answer into a crash.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    /// <summary>
    /// What a decision wants to say. A decision that ran out of time is abandoned with its buffer, so a late
    /// "refusing" line from it can never accompany the "allow" that the timeout gave.
    /// </summary>
    private sealed class DecisionOutput
    {
        private readonly Lock _gate = new();
        private readonly List<string> _lines = [];
        private readonly List<Action<ILogger>> _logs = [];

        public void Say(string line)
        {
            lock (_gate)
            {
                _lines.Add(line);
            }
        }

        public void Log(Action<ILogger> write)
        {
            lock (_gate)
            {
                _logs.Add(write);
            }
        }

        public void MoveTo(DecisionOutput other)
        {
            var (lines, logs) = Take();
            lines.ForEach(other.Say);
            logs.ForEach(other.Log);
        }

        public (List<string> Lines, List<Action<ILogger>> Logs) Take()
        {
            lock (_gate)
            {
                var taken = (_lines.ToList(), _logs.ToList());
                _lines.Clear();
                _logs.Clear();
                return taken;
            }
        }
    }

    private enum HookVerdict
    {
        Allow,
        Refuse,
    }

    private async Task<HookVerdict> DecideAsync(int vmId, string? migratedFrom, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(_budget, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            var core = new DecisionOutput();
            var decide = Task.Run(() => DecideCoreAsync(vmId, migratedFrom, core, linked.Token), linked.Token);
            var finished = await Task.WhenAny(decide, Task.Delay(_budget, clock, cancellationToken)).ConfigureAwait(false);
            if (finished != decide)
            {
                linked.Cancel();
                return Failed(vmId, $"no answer within {_budget.TotalSeconds:0.0} s", _output);
            }

            var verdict = await decide.ConfigureAwait(false);
            core.MoveTo(_output);
            return verdict;
        }
        catch (OperationCanceledException)
        {
            return Failed(vmId, $"no answer within {_budget.TotalSeconds:0.0} s", _output);
        }
#pragma warning disable CA1031 // A hook must answer whatever happens: an internal failure is logged and, by default, allows the start.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return Failed(vmId, e.Message, _output);
        }
    }

    private async Task<HookVerdict> DecideCoreAsync(int vmId, string? migratedFrom, DecisionOutput output, CancellationToken cancellationToken)
    {
        var tree = new PveTree(settings.PveRoot, fileSystem);
        var location = tree.FindVm(vmId) ?? throw new FileNotFoundException($"VM {vmId}: no config under {tree.NodesPath}");
        var guest = tree.ReadVm(vmId, location.Node, location.Path, withDigest: false); // the decision writes nothing
        if (guest.ConfigError is { } configError)
        {
            throw new InvalidDataException(configError.ToString());
        }

        // An incoming remote migration (qm remote-migrate, Proxmox Datacenter Manager) runs pre-start without
        // PVE_MIGRATED_FROM: qemu-server sets it only when migrate_opts has no remote_node (QemuServer.pm
        // vm_start_nolock), and QemuMigrate.pm phase2 sets remote_node for every migration to another cluster. What
        // marks it is the lock: the target's mtunnel 'config' command writes the config with lock: migrate
        // (API2/Qemu.pm mtunnel), and only a start with skiplock, as the mtunnel 'start' command's, gets past that lock
        // to pre-start (QemuServer.pm vm_start). The guest is judged against this node alone, as a migration.
        var fromOtherCluster = migratedFrom is null && guest.Lock == "migrate";
        if (fromOtherCluster && MigrationAdvisor.IsHostCpu(guest))
        {
            var what2 = $"incoming migration of VM {vmId} from another cluster to {localNode}";
            if (settings.HookAllowForeignHostCpu)
            {
                output.Log(l => l.Warning("VM {VmId} on {Node}: allowing {What}: its CPU type passes the source node's CPU through, which this cluster cannot compare (hook.allow_foreign_host_cpu = true)", vmId, localNode, what2));
                return HookVerdict.Allow;
            }

            var why = $"cpu {MigrationAdvisorCpu(guest)} passes the source node's CPU through, and the source is a node of another cluster whose CPU cannot be compared with {localNode}'s (set [hook] allow_foreign_host_cpu = true to allow such moves)";
            output.Say($"proxclmc-guard: refusing {what2}: {why}");
            if (logRefusals)
            {
                output.Log(l => l.ForContext("Verdict", Verdict.HostCpu.Name()).ForContext("Cpu", guest.Cpu ?? "kvm64").Error("VM {VmId} on {Node}: refused {What}: {Reason}", vmId, localNode, what2, why));
            }

            return HookVerdict.Refuse;
        }

        var local = ReadLocalFacts();
        var facts = new List<NodeFacts> { local };
        var source = migratedFrom ?? guest.Node;
        if (migratedFrom is not null && source != localNode && MigrationAdvisor.IsHostCpu(guest))
        {
            // Only host/max guests need the source's CPU: named models are judged against this node alone.
            var sourceFactsFound = sourceFacts is null ? null : await sourceFacts(source, cancellationToken).ConfigureAwait(false);
            if (sourceFactsFound?.Cpu is null)
            {
                return Failed(vmId, $"CPU of the source node {source} unknown ({sourceFactsFound?.Error ?? "not in the state cache and not reachable"}); cannot compare host CPUs", output);
            }

            facts.Add(sourceFactsFound with { Node = source });
        }

        var customModels = CustomCpuModels.Empty;
        if (fileSystem.FileExists(tree.CustomModelsPath))
        {
            var parsed = CustomCpuModels.Parse(fileSystem.ReadAllText(tree.CustomModelsPath, FileLimits.ForPmxcfs), tree.CustomModelsPath);
            customModels = parsed.IsSuccess ? parsed.Value : CustomCpuModels.Empty;
        }

        var advisor = new MigrationAdvisor(facts, CpuCatalog.Default, settings.Policy, customModels);
        var answer = advisor.Check(guest with { Node = source }, localNode);
        var what = migratedFrom is not null ? $"migration of VM {vmId} from {migratedFrom} to {localNode}"
            : fromOtherCluster ? $"incoming migration of VM {vmId} from another cluster to {localNode}"
            : $"start of VM {vmId} on {localNode}";
        var log = GuestLog(vmId, answer, guest);

        if (answer.Allowed is null)
        {
            return Failed(vmId, answer.Reason, output);
        }

        if (!answer.IsRefused && answer.Warnings.Count > 0)
        {
            // A warning is not a refusal: the move goes ahead, and the log says what the VM cannot do here afterwards.
            output.Log(_ => log.Warning("VM {VmId} on {Node}: allowing {What}, but: {Notes}", vmId, localNode, what, string.Join("; ", answer.Warnings)));
            return HookVerdict.Allow;
        }

        if (!answer.IsRefused)
        {
            output.Log(_ => log.Debug("VM {VmId} on {Node}: allowing {What}: {Reason}", vmId, localNode, what, answer.Reason));
            return HookVerdict.Allow;
        }

        if (migratedFrom is null && !fromOtherCluster && !settings.HookBlockUnsafeStart)
        {
            output.Log(_ => log.Warning("VM {VmId} starts on {Node}, which cannot run its CPU type: {Reason} (not blocked: hook.block_unsafe_start = false)", vmId, localNode, answer.Reason));
            return HookVerdict.Allow;
        }

        output.Say($"proxclmc-guard: refusing {what}: {answer.Reason}{OutsideStrictRule(tree, guest, output)}");
        if (logRefusals)
        {
            // The journal entry; on a console the stderr line above already says it once.
            output.Log(_ => log.Error("VM {VmId} on {Node}: refused {What}: {Reason}", vmId, localNode, what, answer.Reason));
        }

        return HookVerdict.Refuse;
    }

    /// <summary>
    /// A migration target outside a strict HA rule is the HA manager's to refuse, not ours; when we refuse for the CPU
    /// anyway, the message also names the rule, so the administrator sees both reasons at once. The HA files are
    /// read only here, and an unreadable one only loses this remark.
    /// </summary>
    private string OutsideStrictRule(PveTree tree, GuestConfig guest, DecisionOutput output)
    {
        try
        {
            var placement = HaPlacement.Compute(tree.ReadHa(), tree.ListNodes()).For(guest);
            return placement?.StrictNodes is { } strict && !strict.Contains(localNode)
                ? $"; {localNode} is also outside {placement.Describe()}, which the HA manager enforces"
                : "";
        }
#pragma warning disable CA1031 // A remark must never turn into a hook failure.
        catch (Exception e)
#pragma warning restore CA1031
        {
            output.Log(l => l.Debug("HA configuration not read: {Message}", e.Message));
            return "";
        }
    }

    /// <summary>host or max, as the guest names it (in cpu or in args: -cpu).</summary>
    private static string MigrationAdvisorCpu(GuestConfig guest)
    {
        if (guest.Args is { } args && QemuCpuArgument.FindIn(args) is { IsSuccess: true } arg)
        {
            return arg.Value.Model;
        }

        var parsed = GuestCpu.Parse(guest.Cpu ?? "host");
        return parsed.IsSuccess ? parsed.Value.CpuType ?? "host" : "host";
    }

    private ILogger GuestLog(int vmId, MigrationAnswer answer, GuestConfig guest) =>
        log.ForContext("Verdict", answer.Verdict.Name())
            .ForContext("Cpu", guest.Cpu ?? "kvm64");

    private NodeFacts ReadLocalFacts()
    {
        var parsed = CpuInfoParser.Parse(fileSystem.ReadAllText(settings.LocalCpuInfo, FileLimits.ForCpuInfo), settings.LocalCpuInfo);
        if (!parsed.IsSuccess)
        {
            throw new InvalidDataException(parsed.Error.ToString());
        }

        // This node's own published QEMU answer, when fresh and exactly what this node last wrote (any node's root can
        // write its folder in pmxcfs): host guests are then compared by KVM's host expansions. Otherwise cpuinfo alone.
        var qemu = Infrastructure.Facts.PublishedFacts.IsOwnWrite(fileSystem, settings.PveRoot, localNode, Infrastructure.Facts.PublishedFacts.OwnWritePath(settings.CacheFile))
            && Infrastructure.Facts.PublishedFacts.TryReadDocument(fileSystem, settings.PveRoot, localNode, out _) is { Qemu: { } answer } published
            && Infrastructure.Facts.PublishedFacts.IsFresh(published.CollectedAt, clock.GetUtcNow(), settings.CacheMaxAge)
            ? answer
            : null;
        return NodeFacts.Readable(localNode, parsed.Value, FactsSource.Local, "", clock.GetUtcNow()) with { Qemu = qemu };
    }

    private HookVerdict Failed(int vmId, string why, DecisionOutput output)
    {
        if (settings.HookFailClosed)
        {
            output.Say($"proxclmc-guard: refusing start of VM {vmId}: {why} (hook.fail_closed = true)");
            output.Log(l => l.Error("Hook could not decide for VM {VmId}: {Why}; refusing (hook.fail_closed)", vmId, why));
            return HookVerdict.Refuse;
        }

        output.Log(l => l.Warning("Hook could not decide for VM {VmId}: {Why}; allowing (hook.fail_closed = false)", vmId, why));
        return HookVerdict.Allow;
    }

    private async Task<int> RunChainAsync(TrustedExecutable chain, int vmId, string phase, CancellationToken cancellationToken)
    {
        // The chained hookscript sees exactly what Proxmox gave us: the same arguments and environment.
        var start = new ProcessStartInfo(chain.ExecPath) { UseShellExecute = false };
        start.ArgumentList.Add(vmId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add(phase);
        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"hook.chain {chain.Path}: could not start");
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            await error.WriteLineAsync($"proxclmc-guard: hook.chain {chain.Path}: {e.Message}").ConfigureAwait(false);
            log.Error("hook.chain {Chain} could not be run: {Message}", chain.Path, e.Message);
            return settings.HookFailClosed ? Refused : 0;
        }
    }
}
