using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Policy;

namespace ProxClmc.Guard.Core.Compliance;

/// <summary>The answer to "can this VM run on that node?".</summary>
/// <param name="Target">The node asked about.</param>
/// <param name="Allowed">True: it can; false: it cannot; null: cannot tell (facts missing, broken config).</param>
/// <param name="Reason">One line: why not, or what to know.</param>
/// <param name="Verdict">The underlying verdict for the pair.</param>
public sealed record MigrationAnswer(string Target, bool? Allowed, string Reason, Verdict Verdict)
{
    public bool IsRefused => Allowed == false;

    /// <summary>
    /// What the VM cannot do on that node although it runs there today, as scan's warning notes say it: a pending
    /// <c>cpu</c> change it could not start with, a RAM snapshot or hibernated state it could not resume there.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>For a <c>host</c> guest refused: the features the target lacks that the source has, most important first.</summary>
    public IReadOnlyList<string> MissingFeatures { get; init; } = [];
}

/// <summary>
/// Answers per pair (guest, target node) with the same rules as a scan, restricted to the nodes involved:
/// a named or generic model needs the target to support it; <c>host</c>/<c>max</c> needs the source and target
/// CPUs to be identical (Proxmox gives <c>host</c> no <c>enforce</c>, so nothing else would stop the migration).
/// </summary>
public sealed class MigrationAdvisor
{
    private readonly Dictionary<string, NodeFacts> _facts;
    private readonly CpuCatalog _catalog;
    private readonly GuardPolicy _policy;
    private readonly CustomCpuModels _customModels;
    private readonly Dictionary<string, ComplianceEvaluator> _evaluators = new(StringComparer.Ordinal);

    public MigrationAdvisor(IEnumerable<NodeFacts> facts, CpuCatalog catalog, GuardPolicy policy, CustomCpuModels? customModels = null)
    {
        _facts = facts.ToDictionary(f => f.Node, StringComparer.Ordinal);
        _catalog = catalog;

        // An explicit question ignores ignore lists and pins: it asks what would happen, not what policy reports.
        _policy = policy with { Baseline = "auto", IgnoreTags = [], IgnoreVmIds = [], HostCpu = HostCpuPolicy.AllowIdentical };
        _customModels = customModels ?? CustomCpuModels.Empty;
    }

    public IReadOnlyCollection<string> Nodes => _facts.Keys;

    public MigrationAnswer Check(GuestConfig guest, string target)
    {
        if (!_facts.TryGetValue(target, out var targetFacts))
        {
            return new MigrationAnswer(target, null, $"{target} is not a node of this cluster", Verdict.Unverified);
        }

        if (targetFacts.Cpu is null)
        {
            return new MigrationAnswer(target, null, $"CPU facts of {target} unavailable: {targetFacts.Error}", Verdict.Unverified);
        }

        var pair = new List<NodeFacts> { targetFacts };
        var needsSource = IsHostCpu(guest) && !string.Equals(guest.Node, target, StringComparison.Ordinal);
        if (needsSource)
        {
            if (!_facts.TryGetValue(guest.Node, out var sourceFacts) || sourceFacts.Cpu is null)
            {
                return new MigrationAnswer(target, null, $"{guest.Node} (where the VM runs) could not be read, so identical CPUs cannot be confirmed", Verdict.HostCpu);
            }

            pair.Insert(0, sourceFacts);
        }

        var verdict = EvaluatorFor(pair).Evaluate(guest);
        if (verdict.Verdict is Verdict.Ok or Verdict.Unverified && PhysBitsShrink(guest, target) is { } shrink)
        {
            return new MigrationAnswer(target, false, shrink, Verdict.ExceedsBaseline);
        }

        var answer = verdict.Verdict switch
        {
            Verdict.Ok or Verdict.NotApplicable => new MigrationAnswer(target, true, Allowed(verdict), verdict.Verdict),
            Verdict.Unverified => new MigrationAnswer(target, true, "probably: " + verdict.Reason, verdict.Verdict),
            Verdict.InvalidConfig => new MigrationAnswer(target, null, verdict.Reason, verdict.Verdict),
            Verdict.HostCpu => HostAnswer(verdict, guest.Node, target),
            Verdict.ExceedsBaseline => new MigrationAnswer(target, false, verdict.Fits.FirstOrDefault(f => f.Node == target) is { } fit ? fit.WholeReason ?? fit.Reason : verdict.Reason, verdict.Verdict),
            _ => new MigrationAnswer(target, false, verdict.Reason, verdict.Verdict),
        };

        // The notes were judged against the nodes of this question only: a warning here is about the target.
        return answer.Allowed == true
            ? answer with { Warnings = verdict.Notes.Where(n => n.IsWarning && n.Code is GuestNote.PendingChange or GuestNote.SnapshotRunningCpu or GuestNote.Suspended).Select(n => n.Text).ToList() }
            : answer;
    }

    /// <summary><c>host</c> or <c>max</c>, from <c>cpu</c> or an <c>args: -cpu</c> override.</summary>
    public static bool IsHostCpu(GuestConfig guest)
    {
        if (guest.Args is { } args && QemuCpuArgument.FindIn(args) is { IsSuccess: true } arg)
        {
            return arg.Value.Model is "host" or "max";
        }

        if (guest.Cpu is null)
        {
            return false;
        }

        var parsed = GuestCpu.Parse(guest.Cpu);
        return parsed.IsSuccess && parsed.Value.CpuType is "host" or "max";
    }

    /// <summary>
    /// <c>phys-bits=host</c> passes the node's address width through: a guest started on a wider node can crash after
    /// a live migration to a narrower one (proxmox-facts: "phys-bits=host").
    /// </summary>
    private string? PhysBitsShrink(GuestConfig guest, string target)
    {
        if (guest.Node == target || guest.Cpu is null || !_facts.TryGetValue(guest.Node, out var source) || source.Cpu is null)
        {
            return null;
        }

        var parsed = GuestCpu.Parse(guest.Cpu);
        var physBits = parsed.IsSuccess ? parsed.Value.PhysBits : null;
        if (parsed.IsSuccess && physBits is null && parsed.Value.CpuType is { } type && type.StartsWith("custom-", StringComparison.Ordinal)
            && _customModels.TryGet(type["custom-".Length..], out var custom))
        {
            physBits = custom.PhysBits;
        }

        var from = source.Cpu.PhysicalAddressBits;
        var to = _facts[target].Cpu!.PhysicalAddressBits;
        return physBits == "host" && from is { } f && to is { } t && t < f
            ? $"phys-bits=host: {guest.Node} has {f}-bit physical addresses, {target} only {t}; the guest can crash after the move"
            : null;
    }

    private static string Allowed(GuestVerdict verdict) => verdict.Verdict == Verdict.NotApplicable
        ? verdict.Reason
        : verdict.Notes.Any(n => n.Code == GuestNote.IdenticalCpus) ? "identical CPU" : "ok";

    private MigrationAnswer HostAnswer(GuestVerdict verdict, string source, string target)
    {
        var (reason, lacks) = HostReason(verdict, source, target);
        return new MigrationAnswer(target, false, reason, verdict.Verdict) { MissingFeatures = lacks };
    }

    private (string Reason, IReadOnlyList<string> Lacks) HostReason(GuestVerdict verdict, string source, string target)
    {
        var s = _facts[source].Cpu!;
        var t = _facts[target].Cpu!;
        if (s.VendorId != t.VendorId)
        {
            return ($"host CPU differs: vendor {s.VendorId} on {source}, {t.VendorId} on {target}", []);
        }

        // Where both nodes published QEMU's answer, compare what KVM really passes through (the host expansions);
        // otherwise the cpuinfo flags a guest can see, the most important first as scan ranks them (host-only flags
        // such as acpi or aperfmperf never reach a guest, so they are no reason).
        var visible = ComplianceEvaluator.GuestVisibleFeatures.Of(_catalog);
        // QEMU's host expansion also names features KVM never gives a guest (acpi, dts, est, monitor, ds_cpl): only
        // those a guest on the node could see are a reason. The reason is whole: a table shortens it to its width.
        var lacks = _facts[source].Qemu is { } sq && _facts[target].Qemu is { } tq
            ? visible.Rank(sq.HostFeaturesMissingFrom(tq).Where(visible.Contains).Distinct(StringComparer.Ordinal))
            : visible.Rank(s.Flags.Where(f => visible.Contains(f) && !t.Flags.Contains(f)));
        if (lacks.Count > 0)
        {
            return ($"host CPU differs: {target} lacks {string.Join(", ", lacks)} that {source} has", lacks);
        }

        return (s.Family != t.Family || s.Model != t.Model
            ? $"host CPU differs: family/model {s.Family}/{s.Model} on {source}, {t.Family}/{t.Model} on {target}"
            : $"host CPU differs: {target} has flags {source} lacks ({verdict.Reason})", []);
    }

    private ComplianceEvaluator EvaluatorFor(IReadOnlyList<NodeFacts> nodes)
    {
        var key = string.Join('\n', nodes.Select(n => n.Node));
        if (!_evaluators.TryGetValue(key, out var evaluator))
        {
            var baseline = ClusterBaseline.Compute(nodes, _catalog, _policy);
            evaluator = new ComplianceEvaluator(baseline, _catalog, _policy, _customModels);
            _evaluators[key] = evaluator;
        }

        return evaluator;
    }
}
