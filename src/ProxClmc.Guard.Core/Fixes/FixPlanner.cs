using System.Globalization;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Core.Fixes;

/// <summary>
/// Plans the rewrite of unsafe guests to a CPU type every node can run. Pure: the plan depends only on the report,
/// the baseline, the catalog and the options. Every planned value is judged again and must come out <c>ok</c>.
/// </summary>
public sealed class FixPlanner
{
    private readonly ComplianceEvaluator _evaluator;
    private readonly ClusterBaseline _baseline;
    private readonly CpuCatalog _catalog;
    private readonly FixOptions _options;

    /// <exception cref="FixTargetException">The target cannot be used in this cluster.</exception>
    public FixPlanner(ComplianceEvaluator evaluator, ClusterBaseline baseline, CpuCatalog catalog, FixOptions options)
    {
        _evaluator = evaluator;
        _baseline = baseline;
        _catalog = catalog;
        _options = options;
        TargetModel = ResolveTarget();
    }

    /// <summary>The model unsafe guests are rewritten to.</summary>
    public string TargetModel { get; }

    public FixOptions Options => _options;

    public FixPlan Plan(ComplianceReport report, string planId, DateTimeOffset createdAt)
    {
        var entries = report.Verdicts
            .Where(v => _options.VmIds.Count == 0 || _options.VmIds.Contains(v.Guest.VmId))
            .Select(PlanGuest)
            .OrderBy(e => e.Action == FixAction.Change ? 0 : e.LeavesUnsafe ? 1 : 2)
            .ThenBy(e => e.VmId)
            .ToList();
        return new FixPlan
        {
            Id = planId,
            CreatedAt = createdAt,
            Baseline = _baseline.ClusterCpuType,
            Target = _options.Target.ToString(),
            TargetModel = TargetModel,
            Entries = entries,
        };
    }

    /// <summary>Plans one guest as it is now (used again after a digest mismatch, on the freshly read config).</summary>
    public FixPlanEntry PlanGuest(GuestConfig guest) => PlanGuest(_evaluator.Evaluate(guest));

    public FixPlanEntry PlanGuest(GuestVerdict verdict)
    {
        var guest = verdict.Guest;
        var entry = new FixPlanEntry
        {
            VmId = guest.VmId,
            Node = guest.Node,
            Name = guest.Name,
            OldCpu = guest.Cpu,
            Digest = guest.Digest,
            Action = FixAction.Skip,
            Verdict = verdict.Verdict.Name(),
            Reason = "",
        };
        var unsafe_ = verdict.Verdict.IsUnsafe();
        var physBitsOnly = !unsafe_ && _options.FixPhysBits && verdict.Verdict == Verdict.Ok && verdict.Notes.Any(n => n.Code == GuestNote.PhysBitsHost);

        if (guest.Type == GuestType.Lxc)
        {
            return entry with { Reason = "container: no CPU model" };
        }

        if (verdict.Verdict == Verdict.InvalidConfig)
        {
            return entry with { Reason = "config cannot be read: " + verdict.Reason };
        }

        if (verdict.Verdict == Verdict.Ignored)
        {
            return entry with { Reason = verdict.Reason };
        }

        if (guest.Kvm == false)
        {
            return entry with { Reason = "kvm: 0: pure emulation, no host CPU requirement" };
        }

        if (!unsafe_ && !physBitsOnly)
        {
            return entry with
            {
                Reason = verdict.Verdict switch
                {
                    Verdict.Ok when verdict.Notes.Any(n => n.Code == GuestNote.PhysBitsHost) => "already safe (phys-bits=host is rewritten only with --fix-phys-bits)",
                    Verdict.Ok when verdict.Notes.FirstOrDefault(n => n.Code == GuestNote.PendingChange && n.IsWarning) is { } pending =>
                        $"safe now, but {pending.Text}: not rewritten (change or revert the pending value by hand)",
                    Verdict.Ok => "already safe",
                    Verdict.Unverified => "unverified, not known to be unsafe: " + verdict.Reason,
                    _ => verdict.Reason,
                },
            };
        }

        var stays = entry with { LeavesUnsafe = unsafe_ };
        if (guest.Lock is { } lockValue)
        {
            return stays with { Reason = $"locked ({lockValue}): Proxmox refuses changes to a locked VM" };
        }

        if (verdict.Notes.Any(n => n.Code == GuestNote.ArgsOverride))
        {
            return stays with { Reason = "args: -cpu overrides the cpu option: edit args by hand (manual)" };
        }

        if (guest.Cpu is null && !unsafe_)
        {
            return entry with { Reason = "already safe" };
        }

        var parsed = guest.Cpu is null ? new GuestCpu() : GuestCpu.Parse(guest.Cpu, $"VM {guest.VmId}: cpu").Value;
        if (parsed is null)
        {
            return stays with { Reason = "cpu cannot be parsed: " + verdict.Reason };
        }

        var isCustom = parsed.CpuType?.StartsWith("custom-", StringComparison.Ordinal) == true;
        if (unsafe_ && isCustom && !_options.RewriteCustomModels)
        {
            return stays with { Reason = $"custom model {parsed.CpuType}: fix it in cpu-models.conf, or rewrite with --to <model>" };
        }

        var running = guest.Status is not null && !string.Equals(guest.Status, "stopped", StringComparison.Ordinal);
        if (running && !_options.IncludeRunning)
        {
            return stays with { Reason = $"{guest.Status}: not rewritten without --include-running (the change would wait in [PENDING] until the next cold start)" };
        }

        var (candidate, dropped) = unsafe_ ? Rewrite(guest, parsed) : (parsed, Array.Empty<string>());
        if (_options.FixPhysBits && string.Equals(candidate.PhysBits, "host", StringComparison.Ordinal) && _baseline.MinPhysBits is { } bits)
        {
            candidate = candidate with { PhysBits = bits.ToString(CultureInfo.InvariantCulture) };
        }

        var newCpu = candidate.Format();
        var judged = _evaluator.EvaluateCpuValue(guest, newCpu);
        if (judged.Verdict != Verdict.Ok)
        {
            return stays with { Reason = $"no safe value found: {newCpu} would be {judged.Verdict.Name()} ({judged.Reason})" };
        }

        if (string.Equals(newCpu, guest.Cpu, StringComparison.Ordinal))
        {
            return entry with { Reason = "already safe" };
        }

        if (string.Equals(newCpu, guest.PendingCpu, StringComparison.Ordinal))
        {
            return stays with { Reason = $"{newCpu} already waits in [PENDING] for the next cold start" };
        }

        var what = new List<string> { Describe(verdict, parsed) };
        if (dropped.Count > 0)
        {
            what.Add("drops " + string.Join(", ", dropped.Select(f => "+" + f)));
        }

        if (running)
        {
            what.Add("pending until the next cold start");
        }

        return entry with
        {
            Action = FixAction.Change,
            NewCpu = newCpu,
            DroppedFlags = dropped,
            Pending = running,
            Reason = string.Join("; ", what),
        };
    }

    private string Describe(GuestVerdict verdict, GuestCpu parsed) => verdict.Verdict switch
    {
        Verdict.ExceedsBaseline when string.Equals(parsed.CpuType, TargetModel, StringComparison.Ordinal) => "some node lacks a +flag",
        Verdict.ExceedsBaseline => $"{parsed.CpuType ?? "kvm64"} exceeds the baseline",
        Verdict.HostCpu => $"{parsed.CpuType} passes the node's CPU through",
        Verdict.UnknownModel => $"unknown model {parsed.CpuType}: the VM cannot start as it is",
        _ => "phys-bits=host across nodes of different widths",
    };

    /// <summary>The target model, keeping every option and every <c>+flag</c> the whole cluster can run; <c>-flags</c> always stay.</summary>
    private (GuestCpu Cpu, IReadOnlyList<string> Dropped) Rewrite(GuestConfig guest, GuestCpu cpu)
    {
        var kept = new List<GuestCpuFlag>();
        var dropped = new List<string>();
        foreach (var flag in cpu.Flags)
        {
            if (!flag.Enabled || FlagFitsEverywhere(guest, flag))
            {
                kept.Add(flag);
            }
            else
            {
                dropped.Add(flag.Name);
            }
        }

        return (cpu with { CpuType = TargetModel, Flags = kept }, dropped);
    }

    /// <summary>Judged like a guest with just the target and this flag, so the rules stay those of <see cref="ComplianceEvaluator"/>.</summary>
    private bool FlagFitsEverywhere(GuestConfig guest, GuestCpuFlag flag)
    {
        if (_catalog.MapQemuFlag(flag.Name) is { ProvidedByKvm: true })
        {
            return true;
        }

        var probe = new GuestCpu { CpuType = TargetModel, Flags = [flag] }.Format();
        return _evaluator.EvaluateCpuValue(guest, probe).Verdict == Verdict.Ok;
    }

    private string ResolveTarget()
    {
        switch (_options.Target.Kind)
        {
            case FixTargetKind.Named:
                return _baseline.NamedModel?.Name ?? throw new FixTargetException(
                    _baseline.VendorMix
                        ? "fix.target = \"named\": the nodes have CPUs of different vendors, so no named model is shared; use \"level\""
                        : "fix.target = \"named\": no named CPU model is shared by every node; use \"level\"");
            case FixTargetKind.Model:
                var name = _options.Target.ModelName ?? "";
                if (!_catalog.TryGetModel(name, out var model))
                {
                    throw new FixTargetException($"'{name}' is not a CPU model Proxmox VE knows");
                }

                CheckWithinBaseline(model.Name);
                return model.Name;
            default:
                var level = _baseline.PinnedModel is { IsLevelModel: true } pinned
                    ? pinned
                    : _catalog.ModelForLevel(_baseline.Level) ?? throw new FixTargetException("no CPU model fits every node (see the node table)");
                return level.Name;
        }
    }

    private void CheckWithinBaseline(string model)
    {
        var probe = new GuestConfig { VmId = 0, Node = _baseline.Nodes.FirstOrDefault()?.Node ?? "", Origin = "--to" };
        var judged = _evaluator.EvaluateCpuValue(probe, model);
        if (judged.Verdict == Verdict.Ok)
        {
            return;
        }

        var refused = judged.Fits.Where(f => f.IsRefused).ToList();
        throw new FixTargetException(refused.Count > 0
            ? $"{model} is not within the baseline: {string.Join("; ", refused.Select(f => $"{f.Node} cannot run it ({f.Reason})"))}"
            : $"{model} is not within the baseline: {judged.Reason}");
    }
}
