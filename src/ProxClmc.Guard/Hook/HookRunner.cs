using System.Diagnostics;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Hook;
using ProxClmc.Guard.Infrastructure.IO;
using Serilog;

namespace ProxClmc.Guard.Hook;

/// <summary>
/// The Proxmox hookscript entry point. On the migration target Proxmox runs <c>pre-start</c> with
/// <c>PVE_MIGRATED_FROM</c> set; a non-zero exit aborts the start and cancels the migration cleanly while the VM
/// keeps running on the source. Proxmox applies no timeout to hookscripts, so every step here is bounded. The decision
/// itself is <see cref="HookDecision"/> (Application), built by the composition root; this class keeps the time budget,
/// the failure policy (<c>hook.fail_closed</c>), the answer's lines and journal entries, and the hook chain.
/// </summary>
internal sealed class HookRunner(
    RunSettings settings,
    string localNode,
    IFileSystem fileSystem,
    Func<string, string?> environment,
    ILogger log,
    TextWriter error,
    Func<HookDecision> decision,
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
        var result = await decision().DecideAsync(new HookDecisionRequest(vmId, migratedFrom), cancellationToken).ConfigureAwait(false);
        var what = result.What;
        var guestLog = log.ForContext("Verdict", result.Verdict).ForContext("Cpu", result.Cpu);
        switch (result.Answer)
        {
            case HookAnswer.CouldNotDecide:
                return Failed(vmId, result.Reason, output);
            case HookAnswer.ForeignHostCpuAllowed:
                output.Log(l => l.Warning("VM {VmId} on {Node}: allowing {What}: its CPU type passes the source node's CPU through, which this cluster cannot compare (hook.allow_foreign_host_cpu = true)", vmId, localNode, what));
                return HookVerdict.Allow;
            case HookAnswer.AllowedWithWarnings:
                // A warning is not a refusal: the move goes ahead, and the log says what the VM cannot do here afterwards.
                output.Log(_ => guestLog.Warning("VM {VmId} on {Node}: allowing {What}, but: {Notes}", vmId, localNode, what, string.Join("; ", result.Warnings)));
                return HookVerdict.Allow;
            case HookAnswer.Allowed:
                output.Log(_ => guestLog.Debug("VM {VmId} on {Node}: allowing {What}: {Reason}", vmId, localNode, what, result.Reason));
                return HookVerdict.Allow;
            case HookAnswer.UnsafeStartNotBlocked:
                output.Log(_ => guestLog.Warning("VM {VmId} starts on {Node}, which cannot run its CPU type: {Reason} (not blocked: hook.block_unsafe_start = false)", vmId, localNode, result.Reason));
                return HookVerdict.Allow;
            default:
                foreach (var diagnostic in result.Diagnostics)
                {
                    output.Log(l => l.Debug("{Diagnostic}", diagnostic));
                }

                output.Say($"proxclmc-guard: refusing {what}: {result.Reason}{result.HaNote}");
                if (logRefusals)
                {
                    // The journal entry; on a console the stderr line above already says it once.
                    output.Log(_ => guestLog.Error("VM {VmId} on {Node}: refused {What}: {Reason}", vmId, localNode, what, result.Reason));
                }

                return HookVerdict.Refuse;
        }
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
