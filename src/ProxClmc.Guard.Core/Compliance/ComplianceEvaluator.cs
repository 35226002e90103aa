using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Core.Policy;

namespace ProxClmc.Guard.Core.Compliance;

/// <summary>
/// Judges each guest's CPU type against the cluster baseline (README "How guests are judged"; where each rule lives:
/// docs/ARCHITECTURE.md).
/// Pure: the same inputs always give the same verdicts, whichever source the guests and facts came from.
/// </summary>
public sealed partial class ComplianceEvaluator
{
    private readonly ClusterBaseline _baseline;
    private readonly CpuCatalog _catalog;
    private readonly GuardPolicy _policy;
    private readonly CustomCpuModels _customModels;
    private readonly IReadOnlyList<NodeCapability> _readableNodes;
    private readonly HostCpuIdentity _hostIdentity;
    private readonly HaPlacement _ha;
    private readonly Dictionary<JudgeKey, (GuestVerdict Verdict, IReadOnlyList<GuestNote> SpecNotes, string? PhysBits)> _judged = [];
    private readonly Dictionary<string, string?> _dropReasons = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Text, bool Unsafe)> _pinned = new(StringComparer.Ordinal);
    private (bool Known, GuestNote? Note) _physBitsHostNote;
    private readonly Dictionary<string, string> _nodeVendors = new(StringComparer.Ordinal);
    private readonly GuestVisibleFeatures _visible;

    /// <summary>
    /// Everything besides the cpu and args lines that changes what Proxmox starts (see <see cref="Judge"/>), and the
    /// strict HA rule whose nodes the guest is judged against.
    /// </summary>
    private readonly record struct JudgeKey(string? Cpu, string? Args, string? OsType, string? Machine, string? StartVendor, string? Scope);

    /// <param name="ha">HA placement: a guest under a strict HA rule is judged against the rule's nodes only.</param>
    public ComplianceEvaluator(ClusterBaseline baseline, CpuCatalog catalog, GuardPolicy policy, CustomCpuModels? customModels = null, HaPlacement? ha = null)
    {
        _ha = ha ?? HaPlacement.None;
        _baseline = baseline;
        _catalog = catalog;
        _policy = policy;
        _customModels = customModels ?? CustomCpuModels.Empty;
        _readableNodes = baseline.Nodes.Where(n => n.IsReadable).ToList();
        _visible = GuestVisibleFeatures.Of(catalog);
        _hostIdentity = HostCpuIdentity.Of(_readableNodes, _visible);
        foreach (var node in _readableNodes)
        {
            _nodeVendors[node.Node] = node.Facts.Cpu!.VendorId;
        }
    }

    public ComplianceReport EvaluateAll(IEnumerable<GuestConfig> guests, DateTimeOffset generatedAt)
    {
        var list = guests as IReadOnlyList<GuestConfig> ?? guests.ToList();

        // pmxcfs keeps each VMID under one node; a copy under a second node (a half-done move, a restored backup
        // of /etc/pve) makes qm and the API pick one of them: say so on both.
        // Counted first: only a VMID seen twice gets a list of its nodes.
        var seen = new Dictionary<int, int>(list.Count);
        foreach (var guest in list)
        {
            seen[guest.VmId] = seen.GetValueOrDefault(guest.VmId) + 1;
        }

        var nodesOf = new Dictionary<int, List<string>>();
        foreach (var guest in list)
        {
            if (seen[guest.VmId] < 2)
            {
                continue;
            }

            if (!nodesOf.TryGetValue(guest.VmId, out var nodes))
            {
                nodesOf[guest.VmId] = nodes = [];
            }

            nodes.Add(guest.Node);
        }

        var verdicts = list.Select(guest =>
        {
            var verdict = Evaluate(guest);
            return !nodesOf.TryGetValue(guest.VmId, out var nodes)
                ? verdict
                : verdict with
                {
                    Notes =
                    [
                        .. verdict.Notes,
                        new GuestNote(GuestNote.DuplicateVmId, $"VMID {guest.VmId} exists under {nodes.Count} nodes ({string.Join(", ", nodes)}): Proxmox uses only one of these configs", IsWarning: true),
                    ],
                };
        });
        return new(_baseline, ComplianceReport.Order(verdicts), generatedAt);
    }

    public GuestVerdict Evaluate(GuestConfig guest)
    {
        if (guest.ConfigError is { } error)
        {
            return new GuestVerdict { Guest = guest, Verdict = Verdict.InvalidConfig, Cpu = guest.Cpu ?? "", Reason = error.ToString() };
        }

        if (guest.NotReadReason is { } notRead)
        {
            return new GuestVerdict
            {
                Guest = guest,
                Verdict = Verdict.Unverified,
                Cpu = guest.Cpu ?? "",
                Reason = notRead,
                Notes = [new GuestNote(GuestNote.NotRead, $"config not read (last known on {guest.Node})", IsWarning: true)],
            };
        }

        var verdict = guest.Type == GuestType.Lxc
            ? new GuestVerdict { Guest = guest, Verdict = Verdict.NotApplicable, Cpu = "", Reason = "container: runs on the host kernel, no CPU model" }
            : EvaluateVm(guest);
        var placement = _ha.For(guest);
        if (!ReferenceEquals(verdict.Placement, placement))
        {
            verdict = verdict with { Placement = placement };
        }

        var ignoredBecause = IgnoredBecause(guest);
        if (ignoredBecause is not null && verdict.Verdict != Verdict.NotApplicable)
        {
            return verdict with
            {
                Verdict = Verdict.Ignored,
                IgnoredVerdict = verdict.Verdict,
                Reason = $"ignored by {ignoredBecause} (would be {verdict.Verdict.Name()}: {verdict.Reason})",
            };
        }

        return verdict;
    }

    /// <summary>Judges one CPU setting (a <c>cpu</c> property string) as if it were the guest's, for pending values and fix plans.</summary>
    public GuestVerdict EvaluateCpuValue(GuestConfig guest, string? cpuValue) =>
        EvaluateVm(guest with { Cpu = cpuValue, Args = null, PendingCpu = null, PendingCpuDelete = false, Snapshots = [], RunningCpu = null, CpuLine = 0, IgnoredLines = [] });

    private string? IgnoredBecause(GuestConfig guest)
    {
        if (_policy.IgnoreVmIds.Contains(guest.VmId))
        {
            return "policy.ignore_vmids";
        }

        for (var i = 0; i < guest.Tags.Count; i++)
        {
            var tag = guest.Tags[i];
            if (_policy.IgnoreTags.Contains(tag, StringComparer.OrdinalIgnoreCase))
            {
                return $"tag '{tag}'";
            }
        }

        return null;
    }

    private GuestVerdict EvaluateVm(GuestConfig guest)
    {
        var notes = new List<GuestNote>();
        AddGuestNotes(guest, notes);
        AddIgnoredLinesNote(guest.IgnoredLines, "config", notes);

        // CPUConfig.pm (is_native_arch, get_cpu_options): a VM whose arch differs from the node's runs without
        // KVM, QEMU emulates the CPU (max), so no host CPU feature is needed; aarch64 model names are valid there.
        if (guest.Arch is { } arch && arch != "x86_64")
        {
            return new GuestVerdict
            {
                Guest = guest,
                Verdict = Verdict.NotApplicable,
                Cpu = guest.Cpu ?? $"default ({arch})",
                Reason = $"arch: {arch} on x86_64 nodes: emulated without KVM, no host CPU requirement",
                Notes = notes,
            };
        }

        if (guest.Kvm == false)
        {
            return new GuestVerdict
            {
                Guest = guest,
                Verdict = Verdict.NotApplicable,
                Cpu = guest.Cpu ?? "qemu64 (kvm: 0)",
                Reason = "kvm: 0: pure emulation, no host CPU requirement",
                Notes = notes,
            };
        }

        var placement = _ha.For(guest);
        var judgedGuest = guest;
        if (DropReason(guest.Cpu) is { } dropped)
        {
            notes.Add(new GuestNote(GuestNote.CpuDropped, $"{CpuLocation(guest)}{dropped}: Proxmox ignores this cpu value and starts kvm64", IsWarning: true));
            judgedGuest = guest with { Cpu = null };
        }

        var (judged, specNotes, physBits) = Judge(judgedGuest, placement);
        notes.AddRange(specNotes);
        AddPhysBitsNote(physBits, notes);
        AddPendingNote(guest, notes);
        if (placement is not null)
        {
            notes.AddRange(HaNotes.For(guest, placement, judged.Fits));
        }

        return judged with { Guest = guest, Notes = notes, Placement = placement };
    }

    /// <summary>
    /// The verdict of a CPU setting. Clusters have thousands of guests but a handful of distinct <c>cpu</c> and
    /// <c>args</c> lines, so each distinct setting is judged against every node once and the answer shared.
    /// Failures carry the guest's file in their message and are not shared.
    /// </summary>
    private (GuestVerdict Verdict, IReadOnlyList<GuestNote> SpecNotes, string? PhysBits) Judge(GuestConfig guest, GuestPlacement? placement)
    {
        var scope = placement?.StrictNodes is { } strict ? new JudgeScope(placement.Describe(), strict) : null;
        var key = new JudgeKey(guest.Cpu, guest.Args, guest.OsType, guest.Machine, StartVendor(guest), scope?.Name);
        if (_judged.TryGetValue(key, out var known))
        {
            return known;
        }

        var specNotes = new List<GuestNote>();
        var spec = ResolveSpec(guest, specNotes);
        if (spec.Failure is not null)
        {
            return (new GuestVerdict { Guest = guest, Verdict = spec.FailureVerdict, Cpu = spec.Display, Reason = spec.Failure }, specNotes, spec.PhysBits);
        }

        var verdict = spec.IsHost ? JudgeHost(guest, spec, specNotes, scope) : JudgeModel(guest, spec, specNotes, scope);
        var result = (verdict, (IReadOnlyList<GuestNote>)specNotes, spec.PhysBits);
        _judged[key] = result;
        return result;
    }
}
