using System.Globalization;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;

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
    public FixPlanner(ComplianceEvaluator evaluator, ClusterBaseline baseline, CpuCatalog catalog, FixOptions options, CustomCpuModels? customModels = null, HaPlacement? ha = null)
    {
        _evaluator = evaluator;
        _baseline = baseline;
        _catalog = catalog;
        _options = options;
        _ha = ha ?? HaPlacement.None;
        TargetModel = ResolveTarget();
        _best = options.Target.Kind == FixTargetKind.Best ? BestCandidates(customModels ?? CustomCpuModels.Empty) : [];
    }

    private readonly HaPlacement _ha;

    /// <summary>With <c>--to best</c>: every candidate CPU type, richest first.</summary>
    private readonly List<BestCandidate> _best;

    private readonly Dictionary<string, BestCandidate?> _bestByScope = new(StringComparer.Ordinal);

    /// <summary>A CPU type <c>--to best</c> may choose, with the guest-visible features it gives (QEMU names) and how rich it is.</summary>
    private sealed record BestCandidate(string Value, string? Vendor, IReadOnlySet<string> Features, int Richness);

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
                    Verdict.Ok when verdict.Notes.FirstOrDefault(n => n.Code == GuestNote.CpuDropped) is { } droppedNote =>
                        $"safe as Proxmox starts it, but {droppedNote.Text}: not rewritten (correct the cpu line by hand)",
                    Verdict.Ok => "already safe",
                    Verdict.Unverified => "unverified, not known to be unsafe: " + verdict.Reason,
                    _ => verdict.Reason,
                },
            };
        }

        var parsedOrNull = guest.Cpu is null ? new GuestCpu() : GuestCpu.Parse(guest.Cpu, $"VM {guest.VmId}: cpu").Value;

        // Why the guest stays as it is comes first, then what makes it unsafe: a skipped VM still names its cause.
        var judgedAs = verdict.Notes.Any(n => n.Code is GuestNote.ArgsOverride or GuestNote.CpuDropped) ? null : parsedOrNull;
        var cause = unsafe_ ? "; " + Cause(verdict, judgedAs) : "";
        var stays = entry with { LeavesUnsafe = unsafe_ };
        if (guest.Lock is { } lockValue)
        {
            return stays with { Reason = $"locked ({lockValue}): Proxmox refuses changes to a locked VM" + cause };
        }

        if (verdict.Notes.Any(n => n.Code == GuestNote.ArgsOverride))
        {
            return stays with { Reason = "args: -cpu overrides the cpu option: edit args by hand (manual)" + cause };
        }

        if (guest.Cpu is null && !unsafe_)
        {
            return entry with { Reason = "already safe" };
        }

        var parsed = parsedOrNull;
        if (parsed is null)
        {
            return stays with { Reason = "cpu cannot be parsed: " + verdict.Reason };
        }

        var isCustom = parsed.CpuType?.StartsWith("custom-", StringComparison.Ordinal) == true;
        if (unsafe_ && isCustom && !_options.RewriteCustomModels)
        {
            return stays with { Reason = $"custom model {parsed.CpuType}: fix it in cpu-models.conf, or rewrite with --to <model>" + cause };
        }

        var running = guest.Status is not null && !string.Equals(guest.Status, "stopped", StringComparison.Ordinal);
        if (running && !_options.IncludeRunning)
        {
            return stays with { Reason = $"{guest.Status}: not rewritten without --include-running (the change would wait in [PENDING] until the next cold start)" + cause };
        }

        BestCandidate? best = null;
        if (unsafe_ && _options.Target.Kind == FixTargetKind.Best)
        {
            best = BestFor(guest);
            if (best is null)
            {
                return stays with { Reason = "no CPU type every node it may run on can run, at or above the cluster's level" + cause };
            }
        }

        var (candidate, dropped) = unsafe_ ? Rewrite(guest, parsed, best?.Value) : (parsed, Array.Empty<string>());
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
            return stays with { Reason = $"{newCpu} already waits in [PENDING] for the next cold start" + cause };
        }

        var what = new List<string> { unsafe_ ? Cause(verdict, judgedAs) : "phys-bits=host across nodes of different widths" };
        if (dropped.Count > 0)
        {
            what.Add("drops " + string.Join(", ", dropped.Select(f => "+" + f)));
        }

        if (best is not null)
        {
            what.Add($"the richest CPU type every node it may run on can run: {best.Value}");
            if (parsedOrNull?.CpuType is "host" or "max" && LostFeatures(guest, best) is { Count: > 0 } lost)
            {
                what.Add($"loses {string.Join(", ", lost)} (what {guest.Node} gives a {parsedOrNull.CpuType} guest beyond {best.Value})");
            }

            what.Add("takes effect at the next full stop and start of the VM (a reboot inside the guest is not enough)");
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

    /// <summary>
    /// What makes the guest unsafe, in the words of its verdict: which part of the cpu value (the model or which
    /// <c>+flags</c>) exceeds the baseline and every flag each node lacks, the model Proxmox does not know, or the
    /// CPU passed through to nodes that differ. The table shortens it; the plan's JSON keeps it whole.
    /// </summary>
    private string Cause(GuestVerdict verdict, GuestCpu? parsed)
    {
        switch (verdict.Verdict)
        {
            case Verdict.UnknownModel:
                return $"{verdict.Reason}: the VM cannot start as it is";
            case Verdict.ExceedsBaseline:
                var refused = verdict.Fits.Where(f => f.IsRefused).ToList();
                if (refused.Count == 0)
                {
                    return verdict.Reason;
                }

                var lacking = string.Join("; ", refused.Select(f => f.VendorMismatch || f.MissingFlags.Count == 0
                    ? $"{f.Node} ({f.Reason})"
                    : $"{f.Node} lacks {string.Join(", ", f.MissingFlags)}"));
                return $"{(parsed is null ? verdict.Cpu : ExceedingPart(verdict.Guest, parsed))} exceeds the baseline: {lacking}";
            default:
                return verdict.Reason;
        }
    }

    /// <summary>The model when the model alone exceeds the baseline, otherwise the <c>+flags</c> that do.</summary>
    private string ExceedingPart(GuestConfig guest, GuestCpu cpu)
    {
        var model = cpu.CpuType ?? "kvm64";
        var enabled = cpu.Flags.Where(f => f.Enabled).ToList();
        if (enabled.Count == 0 || _evaluator.EvaluateCpuValue(guest, new GuestCpu { CpuType = model }.Format()).Verdict != Verdict.Ok)
        {
            return model;
        }

        var culprits = enabled
            .Where(f => _evaluator.EvaluateCpuValue(guest, new GuestCpu { CpuType = model, Flags = [f] }.Format()).Verdict != Verdict.Ok)
            .Select(f => "+" + f.Name)
            .ToList();
        return culprits.Count > 0 ? $"{string.Join(", ", culprits)} on {model}" : $"the +flags of {model}";
    }

    /// <summary>The target model, keeping every option and every <c>+flag</c> the whole cluster can run; <c>-flags</c> always stay.</summary>
    private (GuestCpu Cpu, IReadOnlyList<string> Dropped) Rewrite(GuestConfig guest, GuestCpu cpu, string? target = null)
    {
        target ??= TargetModel;
        var kept = new List<GuestCpuFlag>();
        var dropped = new List<string>();
        foreach (var flag in cpu.Flags)
        {
            if (!flag.Enabled || FlagFitsEverywhere(guest, flag, target))
            {
                kept.Add(flag);
            }
            else
            {
                dropped.Add(flag.Name);
            }
        }

        return (cpu with { CpuType = target, Flags = kept }, dropped);
    }

    /// <summary>Judged like a guest with just the target and this flag, so the rules stay those of <see cref="ComplianceEvaluator"/>.</summary>
    private bool FlagFitsEverywhere(GuestConfig guest, GuestCpuFlag flag, string target)
    {
        if (_catalog.MapQemuFlag(flag.Name) is { ProvidedByKvm: true })
        {
            return true;
        }

        var probe = new GuestCpu { CpuType = target, Flags = [flag] }.Format();
        return _evaluator.EvaluateCpuValue(guest, probe).Verdict == Verdict.Ok;
    }

    /// <summary>
    /// The candidates of <c>--to best</c>, richest first: Proxmox's levels, every 64-bit named model of a vendor the
    /// cluster has, and the custom models defined in cpu-models.conf (so a model written by
    /// <c>baseline --custom-model --apply</c> is used). None gives less than the cluster's level.
    /// </summary>
    private List<BestCandidate> BestCandidates(CustomCpuModels customModels)
    {
        var features = ClusterCpuModel.Candidates(_catalog);
        var vendors = _baseline.Nodes.Where(n => n.IsReadable).Select(n => n.Facts.Cpu!.VendorId).ToHashSet(StringComparer.Ordinal);
        var level = _catalog.ModelForLevel(_baseline.Level);
        var levelFeatures = level is null ? new HashSet<string>(StringComparer.Ordinal) : FeaturesOf(level, [], features);
        var list = new List<BestCandidate>();
        foreach (var model in _catalog.Models)
        {
            var eligible = model.IsLevelModel || (model.Vendor is { } vendor && vendors.Contains(vendor) && model.RequiredFlags.Contains("lm"));
            if (eligible)
            {
                list.Add(new BestCandidate(model.Name, model.Vendor, FeaturesOf(model, [], features), model.RequiredFlags.Count + model.NotCheckable.Count));
            }
        }

        foreach (var custom in customModels.Models.Where(m => m.Error is null))
        {
            if (!_catalog.TryGetModel(custom.ReportedModel, out var reported) || (reported.Vendor is { } v && !vendors.Contains(v)))
            {
                continue;
            }

            var added = custom.Flags.Where(f => f.Enabled).Select(f => f.Name).ToList();
            var removed = custom.Flags.Where(f => !f.Enabled).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
            var set = FeaturesOf(reported, added, features);
            set.ExceptWith(removed);
            var cpuinfo = new HashSet<string>(reported.RequiredFlags, StringComparer.Ordinal);
            foreach (var name in added)
            {
                cpuinfo.UnionWith(_catalog.MapQemuFlag(name)?.CpuinfoFlags ?? []);
            }

            list.Add(new BestCandidate("custom-" + custom.Name, reported.Vendor, set, cpuinfo.Count + reported.NotCheckable.Count));
        }

        return list
            .Where(c => c.Features.IsSupersetOf(levelFeatures))
            .OrderByDescending(c => c.Richness)
            .ThenByDescending(c => c.Features.Count)
            .ThenBy(c => c.Value.StartsWith("custom-", StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(c => c.Value.Contains("-v", StringComparison.Ordinal) ? 1 : 0)
            .ThenBy(c => c.Value, StringComparer.Ordinal)
            .ToList();
    }

    private static HashSet<string> FeaturesOf(CpuModel model, IReadOnlyList<string> added, IReadOnlyList<QemuFlagMapping> features)
    {
        var set = features.Where(f => ClusterCpuModel.ModelHas(model, f)).Select(f => f.QemuName).ToHashSet(StringComparer.Ordinal);
        set.UnionWith(added);
        return set;
    }

    /// <summary>The first candidate, richest first, that is ok on every node the guest may run on and names no vendor those nodes lack.</summary>
    private BestCandidate? BestFor(GuestConfig guest)
    {
        var strict = _ha.For(guest)?.StrictNodes;
        var nodes = _baseline.Nodes.Where(n => n.IsReadable && (strict is null || strict.Contains(n.Node))).ToList();
        var key = string.Join(',', nodes.Select(n => n.Node)) + "|" + guest.Node + "|" + guest.OsType;
        if (_bestByScope.TryGetValue(key, out var known))
        {
            return known;
        }

        BestCandidate? found = null;
        foreach (var candidate in _best)
        {
            if (candidate.Vendor is { } vendor && !nodes.TrueForAll(n => n.Facts.Cpu!.VendorId == vendor))
            {
                continue;
            }

            if (_evaluator.EvaluateCpuValue(guest, candidate.Value).Verdict == Verdict.Ok)
            {
                found = candidate;
                break;
            }
        }

        _bestByScope[key] = found;
        return found;
    }

    /// <summary>What the guest's node gives a host/max guest (guest-visible features) that the new type does not.</summary>
    private List<string> LostFeatures(GuestConfig guest, BestCandidate best)
    {
        var node = _baseline.Nodes.FirstOrDefault(n => n.Node == guest.Node && n.IsReadable);
        if (node is null)
        {
            return [];
        }

        return ClusterCpuModel.Candidates(_catalog)
            .Where(f => !best.Features.Contains(f.QemuName) && ClusterCpuModel.OfferedBy(node, f) is not null)
            .Select(f => f.QemuName)
            .ToList();
    }

    private string ResolveTarget()
    {
        switch (_options.Target.Kind)
        {
            case FixTargetKind.Best:
                return "best";
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
