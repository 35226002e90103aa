using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Core.Compliance;

/// <summary>
/// Judges each guest's CPU type against the cluster baseline (rules of judgement in DESIGN.md).
/// Pure: the same inputs always give the same verdicts, whichever source the guests and facts came from.
/// </summary>
public sealed class ComplianceEvaluator
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

    // ---- CPU spec resolution -------------------------------------------------------------------------------

    /// <summary>What the guest asks for: a model plus flag changes, from <c>args: -cpu</c>, <c>cpu</c>, or the default.</summary>
    private sealed record CpuSpec(string Display)
    {
        public CpuModel? Model { get; init; }

        public bool IsHost { get; init; }

        public string HostName { get; init; } = "host";

        public IReadOnlyList<GuestCpuFlag> Flags { get; init; } = [];

        public string? PhysBits { get; init; }

        public string? Failure { get; init; }

        public Verdict FailureVerdict { get; init; } = Verdict.UnknownModel;

        /// <summary>A raw QEMU <c>-cpu</c> (args, runningcpu): QEMU's own models, none of Proxmox's additions or subtractions.</summary>
        public bool IsRaw { get; init; }

        public string? OsType { get; init; }

        public string? Machine { get; init; }

        /// <summary>Vendor of the node the guest starts on (its current node), when known.</summary>
        public string? StartVendor { get; init; }
    }

    private CpuSpec ResolveSpec(GuestConfig guest, List<GuestNote> notes)
    {
        if (guest.Args is { } args && QemuCpuArgument.FindIn(args, $"{Origin(guest)}: args") is { } found)
        {
            notes.Add(new GuestNote(GuestNote.ArgsOverride, "args: -cpu overrides the cpu option"));
            if (!found.IsSuccess)
            {
                return new CpuSpec("args: -cpu ?")
                {
                    Failure = $"args: -cpu cannot be parsed ({found.Error.Message}); check it by hand",
                    FailureVerdict = Verdict.Unverified,
                };
            }

            var arg = found.Value;
            var display = "args: -cpu " + arg.Model + string.Concat(arg.Flags.Select(f => "," + f));
            return ResolveModelName(arg.Model, arg.Flags, null, display, notes, raw: true) with { StartVendor = StartVendor(guest) };
        }

        if (guest.Cpu is null)
        {
            return ResolveModelName("kvm64", [], null, "kvm64 (default)", notes) with { OsType = guest.OsType, Machine = guest.Machine, StartVendor = StartVendor(guest) };
        }

        var parsed = GuestCpu.Parse(guest.Cpu, $"{Origin(guest)}: cpu");
        if (!parsed.IsSuccess)
        {
            return new CpuSpec(guest.Cpu) { Failure = parsed.Error.Message, FailureVerdict = Verdict.InvalidConfig };
        }

        var cpu = parsed.Value;
        return ResolveModelName(cpu.CpuType ?? "kvm64", cpu.Flags, cpu.PhysBits, guest.Cpu, notes) with { OsType = guest.OsType, Machine = guest.Machine, StartVendor = StartVendor(guest) };
    }

    /// <summary>
    /// Versioned model names the fixed model list of qemu-server accepted before it read QEMU's own model file
    /// (src/PVE/QemuServer/CPUConfig.pm, $cpu_models_by_arch fallback; the file is read since commit e2034ca3,
    /// 2026-05-15): any other versioned name is dropped (kvm64) by those releases.
    /// </summary>
    private static readonly HashSet<string> VersionedNamesBeforeModelFile = new(StringComparer.Ordinal)
    {
        "Skylake-Client-v4", "Skylake-Server-v4", "Skylake-Server-v5", "Cascadelake-Server-v2", "Cascadelake-Server-v4",
        "Cascadelake-Server-v5", "Cooperlake-v2", "Icelake-Server-v3", "Icelake-Server-v4", "Icelake-Server-v5",
        "Icelake-Server-v6", "Icelake-Server-v7", "SapphireRapids-v2", "SapphireRapids-v3", "SapphireRapids-v4",
        "GraniteRapids-v2", "GraniteRapids-v3", "SierraForest-v2", "SierraForest-v3", "EPYC-v3", "EPYC-v4", "EPYC-v5",
        "EPYC-Rome-v2", "EPYC-Rome-v3", "EPYC-Rome-v4", "EPYC-Rome-v5", "EPYC-Milan-v2", "EPYC-Milan-v3", "EPYC-Genoa-v2",
    };

    private CpuSpec ResolveModelName(string name, IReadOnlyList<GuestCpuFlag> flags, string? physBits, string display, List<GuestNote> notes, bool raw = false)
    {
        if (name is "host" or "max")
        {
            return new CpuSpec(display) { IsHost = true, HostName = name, Flags = flags, PhysBits = physBits, IsRaw = raw };
        }

        if (!raw && name.StartsWith("custom-", StringComparison.Ordinal))
        {
            var bare = name["custom-".Length..];
            if (!_customModels.TryGet(bare, out var custom))
            {
                if (_customModels.Unresolved(bare) is { } unresolved)
                {
                    // The model exists (the node lists it) but its definition could not be read: not unknown, unverified.
                    notes.Add(new GuestNote(GuestNote.CustomModelUnverified, $"custom model '{bare}': {unresolved}", IsWarning: true));
                    return new CpuSpec(display) { Failure = $"custom model '{bare}' exists but its definition could not be read: {unresolved}", FailureVerdict = Verdict.Unverified };
                }

                var why = _customModels.FileError is { } fileError ? $" ({fileError})" : "";
                return new CpuSpec(display) { Failure = $"custom model '{bare}' is not defined in cpu-models.conf{why}" };
            }

            if (custom.Error is { } error)
            {
                return new CpuSpec(display)
                {
                    Failure = $"custom model '{bare}': {error}; its guests cannot be judged from it, check it by hand",
                    FailureVerdict = Verdict.Unverified,
                };
            }

            // CPUConfig.pm's $cpu_fmt: reported-model is an enum of QEMU's models (get_all_cpu_models: host, max
            // and the named models, not Proxmox's x86-64-v* levels), never a custom model (Proxmox ignores such a
            // line). Refused here, which also ends any chain of custom models.
            if (custom.ReportedModel.StartsWith("custom-", StringComparison.Ordinal)
                || (custom.ReportedModel is not ("host" or "max")
                    && (!_catalog.TryGetModel(custom.ReportedModel, out var reported) || (reported.IsLevelModel && reported.Name != "kvm64"))))
            {
                var at = custom.ReportedModelLine > 0 ? $"{_customModels.Source}:{custom.ReportedModelLine}:{custom.ReportedModelColumn}: " : "";
                return new CpuSpec(display)
                {
                    Failure = $"custom model '{bare}': {at}reported-model '{custom.ReportedModel}' is not a built-in CPU model (Proxmox allows only QEMU's models there and ignores this line)",
                    FailureVerdict = Verdict.InvalidConfig,
                };
            }

            notes.Add(new GuestNote(GuestNote.CustomModel, $"custom model '{bare}' = {custom.ReportedModel}{string.Concat(custom.Flags.Select(f => "," + f))}"));
            AddIgnoredLinesNote(custom.IgnoredLines, $"custom model '{bare}'", notes);
            AddIgnoredLinesNote(_customModels.Warnings, "cpu-models.conf", notes);
            var resolved = ResolveModelName(custom.ReportedModel, [.. custom.Flags, .. flags], physBits ?? custom.PhysBits, display, notes);
            return resolved.Failure is null ? resolved : resolved with { Failure = $"custom model '{bare}': {resolved.Failure}" };
        }

        // A raw -cpu kvm64 is QEMU's own kvm64 (kvm64-v1), without the +lahf_lm,+sep Proxmox adds to its default.
        var lookup = raw && name == "kvm64" ? "kvm64-v1" : name;
        if (!_catalog.TryGetModel(lookup, out var model))
        {
            return new CpuSpec(display) { Failure = $"'{name}' is not a CPU model Proxmox VE knows (QEMU 7.2, 10.0, 11.1)" };
        }

        if (model.QemuVersions.Count is > 0 and < 3)
        {
            notes.Add(new GuestNote(GuestNote.QemuVersion, $"{model.Name} is known only to QEMU {string.Join(", ", model.QemuVersions.Order(StringComparer.Ordinal))}: older nodes refuse it"));
        }
        else if (!raw && !model.IsLevelModel && IsVersionedName(name) && !VersionedNamesBeforeModelFile.Contains(name))
        {
            notes.Add(new GuestNote(GuestNote.QemuVersion, $"{name}: Proxmox VE releases before May 2026 accept only a few versioned model names; they drop this cpu value and start kvm64"));
        }

        return new CpuSpec(display) { Model = model, Flags = flags, PhysBits = physBits, IsRaw = raw };
    }

    private static bool IsVersionedName(string name)
    {
        var dash = name.LastIndexOf("-v", StringComparison.Ordinal);
        return dash > 0 && dash + 2 < name.Length && name.AsSpan(dash + 2).IndexOfAnyExceptInRange('0', '9') < 0;
    }

    /// <summary>Why Proxmox drops this <c>cpu</c> value (null when it keeps it). An unknown model is not dropped here: it stays unknown-model.</summary>
    private string? DropReason(string? cpu)
    {
        if (cpu is null)
        {
            return null;
        }

        if (_dropReasons.TryGetValue(cpu, out var known))
        {
            return known;
        }

        var parsed = GuestCpu.Parse(cpu);
        var reason = parsed.IsSuccess && parsed.Value.CpuType is { } type && !IsKnownModel(type)
            ? null
            : GuestCpu.VmConfigRejection(cpu);
        _dropReasons[cpu] = reason;
        return reason;
    }

    private bool IsKnownModel(string type) =>
        type is "host" or "max"
        || (type.StartsWith("custom-", StringComparison.Ordinal) ? _customModels.TryGet(type["custom-".Length..], out _) : _catalog.TryGetModel(type, out _));

    private static string CpuLocation(GuestConfig guest) =>
        guest.CpuLine > 0 && guest.Origin is { } origin ? $"{origin}:{guest.CpuLine}: " : "";

    private string? StartVendor(GuestConfig guest) => _nodeVendors.GetValueOrDefault(guest.Node);

    private static void AddIgnoredLinesNote(IReadOnlyList<Parsing.ParseError> lines, string what, List<GuestNote> notes)
    {
        if (lines.Count == 0)
        {
            return;
        }

        var listed = string.Join("; ", lines.Take(5).Select(l => l.ToString()));
        var more = lines.Count > 5 ? $"; and {lines.Count - 5} more" : "";
        notes.Add(new GuestNote(
            GuestNote.ConfigIgnoredLines,
            $"{what}: Proxmox ignores {lines.Count} line{(lines.Count == 1 ? "" : "s")} with a warning: {listed}{more}",
            IsWarning: true));
    }

    // ---- named and generic models --------------------------------------------------------------------------

    /// <summary>The nodes a strict HA rule confines a guest to: only they decide its verdict.</summary>
    private sealed record JudgeScope(string Name, IReadOnlySet<string> Nodes);

    private static List<NodeFit> InScope(List<NodeFit> fits, JudgeScope? scope) =>
        scope is null ? fits : fits.Where(f => scope.Nodes.Contains(f.Node)).ToList();

    private GuestVerdict JudgeModel(GuestConfig guest, CpuSpec spec, List<GuestNote> notes, JudgeScope? scope = null)
    {
        var model = spec.Model!;
        var required = NameSet.MutableCopy(model.RequiredFlags);
        var notCheckable = new List<string>(model.NotCheckable);
        var unknownFlags = new List<string>();
        var nodeRules = new Dictionary<string, NodeRule>(StringComparer.Ordinal);

        foreach (var flag in spec.Flags)
        {
            if (flag.Name == "nested-virt" && !spec.IsRaw)
            {
                // CPUConfig.pm (resolve of the abstract 'nested-virt', 9.0.27+): svm or vmx of the node the VM
                // starts on; a live migration carries that exact -cpu, so only nodes of the same vendor can take it.
                SetRule(nodeRules, flag.Enabled, spec.StartVendor switch
                {
                    "GenuineIntel" => new NodeRule("nested-virt", ["GenuineIntel"], ["vmx"]),
                    "AuthenticAMD" or "HygonGenuine" => new NodeRule("nested-virt", ["AuthenticAMD", "HygonGenuine"], ["svm"]),
                    _ => new NodeRule("nested-virt", [], ["vmx", "svm"]),
                });
                continue;
            }

            if (flag.Name is "hv-evmcs" or "hv_evmcs")
            {
                // Enlightened VMCS is a Hyper-V feature of Intel VMX: KVM offers it only on Intel nodes.
                SetRule(nodeRules, flag.Enabled, new NodeRule("hv-evmcs", ["GenuineIntel"], ["vmx"]));
                continue;
            }

            var mapping = _catalog.MapQemuFlag(flag.Name);
            if (mapping is { Vendors.Count: > 0 })
            {
                SetRule(nodeRules, flag.Enabled, new NodeRule(mapping.CanonicalName, mapping.Vendors, mapping.CpuinfoFlags));
                continue;
            }

            if (mapping is null)
            {
                if (flag.Enabled)
                {
                    unknownFlags.Add(flag.Name);
                }

                continue;
            }

            if (mapping.ProvidedByKvm)
            {
                continue;
            }

            if (!flag.Enabled)
            {
                required.ExceptWith(mapping.CpuinfoFlags);
            }
            else if (!mapping.Checkable)
            {
                notCheckable.Add(flag.Name);
            }
            else
            {
                required.UnionWith(mapping.CpuinfoFlags);
            }
        }

        // What Proxmox subtracts by itself is not asked of a node (CPUConfig.pm get_pve_cpu_flags, commit e6352be6):
        // -rdtscp for every model whose name starts with Opteron (for a custom model: its reported model), -x2apic
        // for Solaris. A raw -cpu gets none of this.
        var subtracted = false;
        var pveMinus = new List<string>();
        if (!spec.IsRaw && model.Name.StartsWith("Opteron", StringComparison.Ordinal))
        {
            subtracted |= required.Remove("rdtscp");
            pveMinus.Add("rdtscp");
        }

        if (!spec.IsRaw && spec.OsType == "solaris")
        {
            subtracted |= required.Remove("x2apic");
            pveMinus.Add("x2apic");
        }

        // -cet-ibt,-cet-ss for win11 guests, but only where the node's QEMU is 11.0 or newer. A node whose QEMU
        // answered (published facts) is judged by its version; where it is unknown, judge with the flags (an older
        // QEMU) and say so when that differs.
        var cet = !spec.IsRaw && spec.OsType == "win11" ? required.Where(f => f is "ibt" or "user_shstk").ToList() : [];

        var requirement = new CpuRequirement
        {
            Description = spec.Display,
            Vendor = model.Vendor,
            // Numbered by the catalog's flag index (a model unchanged keeps its own, already numbered, set), so each
            // node checks it with word operations.
            Flags = spec.Flags.Count == 0 && !subtracted && required.Count == model.RequiredFlags.Count ? model.RequiredFlags : NameSet.Indexed(required, _catalog.FlagIndex),
            BugsMustBeAbsent = model.BugsMustBeAbsent,
            NotCheckable = notCheckable,
            Model = spec.Flags.Count == 0 && !subtracted ? model : null,
        }.WithQemuForm(model, [.. spec.Flags.Select(f => (f.Name, f.Enabled)), .. pveMinus.Select(f => (f, false))]);

        var rules = nodeRules.Values.ToList();
        var withoutCet = cet.Count > 0
            ? requirement with { Flags = NameSet.Indexed(required.Except(cet), _catalog.FlagIndex), Model = null, QemuFlags = [.. requirement.QemuFlags.Where(f => f is not ("+cet-ibt" or "+cet-ss")), "-cet-ibt", "-cet-ss"] }
            : null;
        var fits = new List<NodeFit>();
        foreach (var node in _baseline.Nodes)
        {
            fits.Add(FitOf(node, withoutCet is not null && QemuAtLeast(node, 11) ? withoutCet : requirement, rules));
        }

        if (withoutCet is not null)
        {
            var differ = _baseline.Nodes.Where((node, i) => node.Facts.Qemu is null && fits[i].IsRefused && FitOf(node, withoutCet, rules).CanRun == true).Select(n => n.Node).ToList();
            if (differ.Count > 0)
            {
                notes.Add(new GuestNote(GuestNote.QemuVersion,
                    $"win11: on nodes with QEMU 11.0 or newer Proxmox removes cet-ibt and cet-ss, and then {string.Join(", ", differ)} can run it; judged as on an older QEMU (the nodes' QEMU versions are unknown)"));
            }
        }

        AddEvmcsNote(spec, notes);

        if (fits.Where(f => f.ModelUnknownToQemu).Select(f => f.Node).ToList() is { Count: > 0 } unknownTo)
        {
            notes.Add(new GuestNote(GuestNote.QemuVersion, $"the QEMU of {string.Join(", ", unknownTo)} does not know {model.Name}: it cannot start there"));
        }

        if (model.Vendor is not null && _baseline.VendorMix)
        {
            notes.Add(new GuestNote(GuestNote.VendorMix, $"{model.Name} is a {VendorName(model.Vendor)} model in a cluster with mixed CPU vendors"));
        }

        var judged = InScope(fits, scope);
        AddUncheckedNote(judged, notes);

        var refused = judged.Where(f => f.IsRefused).ToList();
        var pinnedShortfall = PinnedShortfall(requirement);
        if (refused.Count > 0 || pinnedShortfall is not null)
        {
            var parts = new List<string>();
            if (refused.Count > 0)
            {
                parts.Add("cannot run on " + string.Join("; ", refused.Select(f => $"{f.Node} ({f.Reason})")));
            }

            if (pinnedShortfall is not null)
            {
                parts.Add(pinnedShortfall);
            }

            return new GuestVerdict { Guest = guest, Verdict = Verdict.ExceedsBaseline, Cpu = spec.Display, Reason = string.Join("; ", parts), Fits = fits };
        }

        if (unknownFlags.Count > 0)
        {
            return new GuestVerdict
            {
                Guest = guest,
                Verdict = Verdict.Unverified,
                Cpu = spec.Display,
                Reason = $"flag{(unknownFlags.Count > 1 ? "s" : "")} {string.Join(", ", unknownFlags)} not in the CPU catalog: cannot check",
                Fits = fits,
            };
        }

        var unverified = judged.SelectMany(f => f.Unverified).Distinct(StringComparer.Ordinal).ToList();
        if (unverified.Count > 0)
        {
            return new GuestVerdict
            {
                Guest = guest,
                Verdict = Verdict.Unverified,
                Cpu = spec.Display,
                Reason = "needs features /proc/cpuinfo cannot show: " + Abbreviate(unverified),
                Fits = fits,
            };
        }

        var reason = scope is not null
            ? $"every node of {scope.Name} can run {model.Name}"
            : _readableNodes.Count == _baseline.Nodes.Count
            ? $"every node can run {model.Name}"
            : $"every readable node can run {model.Name}";
        return new GuestVerdict { Guest = guest, Verdict = Verdict.Ok, Cpu = spec.Display, Reason = reason, Fits = fits };
    }

    /// <summary>
    /// A feature whose host side depends on the node: only nodes of <paramref name="Vendors"/> (any when empty)
    /// can offer it, and there one of <paramref name="AnyOf"/> must show.
    /// </summary>
    private sealed record NodeRule(string Feature, IReadOnlyList<string> Vendors, IReadOnlyList<string> AnyOf);

    private static void SetRule(Dictionary<string, NodeRule> rules, bool enabled, NodeRule rule)
    {
        if (enabled)
        {
            rules[rule.Feature] = rule;
        }
        else
        {
            rules.Remove(rule.Feature);
        }
    }

    /// <summary>
    /// CPUConfig.pm (get_cpu_options, commit 30531026, 2026-07): for win11 guests started on an Intel node with
    /// machine type 11.0+pve2 or newer Proxmox adds hv_evmcs, which AMD nodes cannot offer.
    /// </summary>
    private void AddEvmcsNote(CpuSpec spec, List<GuestNote> notes)
    {
        if (spec.IsRaw || spec.OsType != "win11" || !_baseline.VendorMix || MachineVersion(spec.Machine) is { } v && v.CompareTo((11, 0, 2)) < 0)
        {
            return;
        }

        var machine = spec.Machine is null ? "the newest machine type" : $"machine {spec.Machine}";
        notes.Add(new GuestNote(GuestNote.VendorMix,
            $"win11 with {machine}: started on an Intel node Proxmox adds hv-evmcs, and such a guest cannot live-migrate to an AMD node"));
    }

    /// <summary>The version in a <c>machine</c> value (pc-q35-11.0+pve2 is (11, 0, 2)); null when unpinned (the newest).</summary>
    internal static (int Major, int Minor, int Pve)? MachineVersion(string? machine)
    {
        if (machine is null)
        {
            return null;
        }

        var type = machine.Split(',')[0];
        if (type.StartsWith("type=", StringComparison.Ordinal))
        {
            type = type[5..];
        }

        var dash = type.LastIndexOf('-');
        if (dash < 0)
        {
            return null;
        }

        var version = type[(dash + 1)..];
        var plus = version.IndexOf("+pve", StringComparison.Ordinal);
        var pve = 0;
        if (plus >= 0)
        {
            var digits = new string(version[(plus + 4)..].TakeWhile(char.IsAsciiDigit).ToArray());
            _ = int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pve);
            version = version[..plus];
        }

        var parts = version.Split('.');
        return parts.Length == 2
               && int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var major)
               && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var minor)
            ? (major, minor, pve)
            : null;
    }

    private NodeFit FitOf(NodeCapability node, CpuRequirement requirement, IReadOnlyList<NodeRule> rules)
    {
        if (!node.IsReadable)
        {
            return new NodeFit(node.Node, null, [], false, [], "CPU facts unavailable: " + (node.Facts.Error ?? "not read"));
        }

        var check = node.Check(requirement, _policy.StrictVendor);
        var missing = check.MissingFlags.ToList();
        var cpuFlags = node.Facts.Cpu!.Flags;
        foreach (var rule in rules)
        {
            if (rule.Vendors.Count > 0 && !rule.Vendors.Contains(node.Facts.Cpu.VendorId))
            {
                missing.Add($"{rule.Feature} (not on {VendorName(node.Facts.Cpu.VendorId)})");
            }
            else if (rule.AnyOf.Count > 0 && !rule.AnyOf.Any(cpuFlags.Contains))
            {
                missing.Add(rule.Feature == rule.AnyOf[0] ? rule.Feature : $"{string.Join("/", rule.AnyOf)} ({rule.Feature})");
            }
        }

        var canRun = check.CanRun && missing.Count == check.MissingFlags.Count;
        var reasons = new List<string>();
        if (check.Reason is not null)
        {
            reasons.Add(check.Reason);
        }

        if (check.VendorMismatch)
        {
            reasons.Add($"vendor {node.Facts.Cpu!.VendorId}, model needs {requirement.Vendor}");
        }

        var whole = new List<string>(reasons);
        if (missing.Count > 0)
        {
            reasons.Add("lacks " + Abbreviate(missing, 6));
            whole.Add("lacks " + string.Join(", ", missing));
        }

        if (check.PresentBugs.Count > 0)
        {
            reasons.Add("has CPU bug " + string.Join(", ", check.PresentBugs));
            whole.Add("has CPU bug " + string.Join(", ", check.PresentBugs));
        }

        if (canRun && check.Unverified.Count > 0)
        {
            reasons.Add("unverified: " + Abbreviate(check.Unverified));
            whole.Add("unverified: " + string.Join(", ", check.Unverified));
        }

        return new NodeFit(node.Node, canRun, missing, check.VendorMismatch, canRun ? check.Unverified : [], reasons.Count == 0 ? "ok" : string.Join("; ", reasons))
        {
            WholeReason = whole.Count == 0 ? "ok" : string.Join("; ", whole),
            JudgedBy = check.JudgedBy,
            ModelUnknownToQemu = check.ModelUnknownToQemu,
        };
    }

    /// <summary>Whether the node's own QEMU (from its published facts) is at least <paramref name="major"/>.0.</summary>
    private static bool QemuAtLeast(NodeCapability node, int major)
    {
        var version = node.Facts.Qemu?.Version;
        var dot = version?.IndexOf('.') ?? -1;
        return version is not null && int.TryParse(dot < 0 ? version : version[..dot], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var found) && found >= major;
    }

    /// <summary>With a pinned baseline, a guest above the pin is flagged even when today's nodes could run it.</summary>
    private string? PinnedShortfall(CpuRequirement requirement)
    {
        if (_baseline.PinnedModel is not { } pin)
        {
            return null;
        }

        // x86-64-v* are qemu64 plus flags, so kvm64 (Proxmox's default) needs vme and others that x86-64-v2 does not
        // list; yet Proxmox ranks kvm64 below every level and a node only reaches a level when it runs kvm64 too.
        // A level pin therefore admits kvm64's flags: a VM without a cpu line is never "above" a pinned level.
        var admitted = NameSet.MutableCopy(pin.RequiredFlags);
        if (pin.IsLevelModel && _catalog.ModelForLevel(CpuLevel.Kvm64) is { } kvm64)
        {
            admitted.UnionWith(kvm64.RequiredFlags);
        }

        var above = requirement.Flags.Where(f => !admitted.Contains(f)).Order(StringComparer.Ordinal).ToList();
        var vendorClash = requirement.Vendor is not null && pin.Vendor is not null && requirement.Vendor != pin.Vendor;
        if (above.Count == 0 && !vendorClash)
        {
            return null;
        }

        var what = vendorClash ? $"vendor {requirement.Vendor}" : "needs " + Abbreviate(above);
        return $"exceeds pinned baseline {pin.Name} ({what})";
    }

    // ---- host and max --------------------------------------------------------------------------------------

    private GuestVerdict JudgeHost(GuestConfig guest, CpuSpec spec, List<GuestNote> notes, JudgeScope? scope = null)
    {
        AddEvmcsNote(spec, notes);
        var nodes = scope is null ? _baseline.Nodes : _baseline.Nodes.Where(n => scope.Nodes.Contains(n.Node)).ToList();
        var readable = nodes.Where(n => n.IsReadable).ToList();
        var hostIdentity = scope is null ? _hostIdentity : HostCpuIdentity.Of(readable, _visible);
        var fits = nodes
            .Select(n => n.IsReadable
                ? new NodeFit(n.Node, hostIdentity.Identical ? true : null, [], false, [], hostIdentity.Identical ? "identical CPU" : hostIdentity.Describe(n.Node))
                : new NodeFit(n.Node, null, [], false, [], "CPU facts unavailable: " + (n.Facts.Error ?? "not read")))
            .ToList();
        AddUncheckedNote(fits, notes);

        var pinned = _baseline.PinnedModel is { } pin ? $"; exceeds pinned baseline {pin.Name}" : "";
        if (hostIdentity.Identical && readable.Count == nodes.Count && pinned.Length == 0)
        {
            if (_policy.HostCpu == HostCpuPolicy.AllowIdentical)
            {
                notes.Add(new GuestNote(GuestNote.IdenticalCpus, scope is null
                    ? $"every node reports an identical CPU; adding a different node makes {spec.HostName} unsafe"
                    : $"every node of {scope.Name} reports an identical CPU; adding a different node to it makes {spec.HostName} unsafe"));
                return new GuestVerdict { Guest = guest, Verdict = Verdict.Ok, Cpu = spec.Display, Reason = $"{spec.HostName} on identical CPUs ({readable.Count} node{(readable.Count == 1 ? "" : "s")}{(scope is null ? "" : " of " + scope.Name)})", Fits = fits };
            }

            return new GuestVerdict { Guest = guest, Verdict = Verdict.HostCpu, Cpu = spec.Display, Reason = $"{spec.HostName} passes the host CPU through (policy.host_cpu = \"unsafe\"; nodes are identical today)", Fits = fits };
        }

        var why = readable.Count < nodes.Count && hostIdentity.Identical
            ? "some nodes could not be read, so identical CPUs cannot be confirmed"
            : "nodes differ: " + hostIdentity.Summary;
        return new GuestVerdict
        {
            Guest = guest,
            Verdict = Verdict.HostCpu,
            Cpu = spec.Display,
            Reason = $"{spec.HostName} passes the node's CPU through; {why}{pinned}",
            Fits = fits,
        };
    }

    /// <summary>Whether every readable node reports the same vendor, family, model and flags, and if not, how they differ.</summary>
    private sealed class HostCpuIdentity
    {
        private readonly Dictionary<string, string> _perNode = new(StringComparer.Ordinal);

        public bool Identical { get; private init; }

        public string Summary { get; private init; } = "";

        public string Describe(string node) => _perNode.TryGetValue(node, out var text) ? text : "differs";

        public static HostCpuIdentity Of(IReadOnlyList<NodeCapability> nodes, GuestVisibleFeatures visible)
        {
            if (nodes.Count == 0)
            {
                return new HostCpuIdentity { Identical = false, Summary = "no node could be read" };
            }

            // Only features a guest can see count: kernel and hypervisor bookkeeping (pti, cpuid, hypervisor,
            // tsc_reliable, acpi, bts, ...) differ between identical CPUs and mean nothing to a host guest.
            var union = new HashSet<string>(StringComparer.Ordinal);
            foreach (var node in nodes)
            {
                union.UnionWith(node.Facts.Cpu!.Flags.Where(visible.Contains));
            }

            var first = nodes[0].Facts.Cpu!;
            var identical = nodes.All(n => nodes[0].Facts.Qemu is not null && n.Facts.Qemu is not null
                ? NodeCapability.SameHostCpu(nodes[0].Facts, n.Facts)
                : SameCpu(first, n.Facts.Cpu!, visible));
            var identity = new HostCpuIdentity
            {
                Identical = identical,
                Summary = identical ? "identical" : DescribeDifferences(nodes, union, visible),
            };

            foreach (var node in nodes)
            {
                var cpu = node.Facts.Cpu!;
                var lacks = visible.Rank(union.Where(f => !cpu.Flags.Contains(f)));
                identity._perNode[node.Node] = identical
                    ? "identical CPU"
                    : lacks.Count == 0 ? $"{cpu.ModelName}: has every flag of the other nodes" : $"{cpu.ModelName}: lacks {Abbreviate(lacks)}";
            }

            return identity;
        }

        private static string DescribeDifferences(IReadOnlyList<NodeCapability> nodes, HashSet<string> union, GuestVisibleFeatures visible)
        {
            var lacking = nodes
                .Select(n => (n.Node, Lacks: visible.Rank(union.Where(f => !n.Facts.Cpu!.Flags.Contains(f)))))
                .Where(x => x.Lacks.Count > 0)
                .Select(x => $"{x.Node} lacks {x.Lacks.Count} CPU feature{(x.Lacks.Count == 1 ? "" : "s")} another node has ({Abbreviate(x.Lacks, 4)})")
                .ToList();
            return lacking.Count > 0
                ? string.Join(", ", lacking) + "; a guest started on a richer node can crash on an illegal instruction after migrating"
                : nodes.All(n => n.Facts.Qemu is not null) ? "the features KVM passes through differ (QEMU's host expansion)" : "vendor, family or model differ";
        }

        private static bool SameCpu(CpuInfo a, CpuInfo b, GuestVisibleFeatures visible) =>
            a.VendorId == b.VendorId && a.Family == b.Family && a.Model == b.Model
            && a.Flags.Where(visible.Contains).ToHashSet(StringComparer.Ordinal).SetEquals(b.Flags.Where(visible.Contains));
    }

    /// <summary>
    /// The cpuinfo flags that stand for a CPU feature a guest can see (the catalog's QEMU features, less those KVM
    /// supplies itself), ranked by how much they matter: the lowest Proxmox level that needs a flag first (a node
    /// without sse4.2 breaks more guests than one without avx512vl), then flags more named models need.
    /// </summary>
    internal sealed class GuestVisibleFeatures
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<CpuCatalog, GuestVisibleFeatures> Cache = new();

        // flag -> the lowest level that needs it (LevelModels.Count: none does).
        private readonly Dictionary<string, int> _level = new(StringComparer.Ordinal);

        // flag -> how many models need it, for a catalog whose model flags are not all numbered by its index:
        // counted the first time a flag is ranked, then kept. Evaluations run in parallel.
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _models = new(StringComparer.Ordinal);
        private readonly CpuCatalog _catalog;
        private ModelCounts? _byPosition;

        /// <summary>
        /// CPU features QEMU can name but KVM never offers a guest, whatever the host has: Linux's KVM leaves their
        /// CPUID bits at 0 in what it supports (arch/x86/kvm/cpuid.c, kvm_set_cpu_caps: leaf 1 ECX DTES64, MONITOR,
        /// DS-CPL, SMX, EST, TM2, xTPR, DCA; leaf 1 EDX DS, ACPI, HTT, TM, PBE, PSN), and the VMX capabilities older
        /// kernels list among the flags (vnmi, flexpriority, tpr_shadow, ept, vpid). A host guest never sees them, so
        /// two nodes that differ only there are the same to it. (monitor/mwait reach a guest only with KVM's
        /// mwait-in-guest capability, which Proxmox does not enable.)
        /// </summary>
        private static readonly HashSet<string> KvmNeverOffers = new(StringComparer.Ordinal)
        {
            "dtes64", "monitor", "ds_cpl", "smx", "est", "tm2", "xtpr", "dca",
            "dts", "acpi", "ht", "tm", "pbe", "pn",
            "vnmi", "flexpriority", "tpr_shadow", "ept", "vpid",
        };

        private GuestVisibleFeatures(CpuCatalog catalog) => _catalog = catalog;

        public bool Contains(string flag) => _level.ContainsKey(flag);

        public List<string> Rank(IEnumerable<string> flags) =>
            flags.OrderBy(f => _level[f]).ThenByDescending(Models).ThenBy(f => f, StringComparer.Ordinal).ToList();

        public static GuestVisibleFeatures Of(CpuCatalog catalog) => Cache.GetValue(catalog, Build);

        private int Models(string flag)
        {
            // Where every model's flags are numbered by the catalog's index, one pass over their bits counts all flags.
            var counted = LazyInitializer.EnsureInitialized(ref _byPosition, () => new ModelCounts(CountByPosition(_catalog)));
            if (counted.Counts is { } counts)
            {
                return _catalog.FlagIndex.TryGetPosition(flag, out var position) ? counts[position] : 0;
            }

            return _models.TryGetValue(flag, out var count) ? count : _models.GetOrAdd(flag, f => _catalog.Models.Count(m => m.RequiredFlags.Contains(f)));
        }

        private static int[]? CountByPosition(CpuCatalog catalog)
        {
            var counts = new int[catalog.FlagIndex.Count];
            foreach (var model in catalog.Models)
            {
                if (model.RequiredFlags is not NameSet { Binding: { } bound } || !ReferenceEquals(bound.Bits.Index, catalog.FlagIndex) || bound.Unindexed.Length > 0)
                {
                    return null;
                }

                bound.Bits.CountInto(counts);
            }

            return counts;
        }

        private sealed record ModelCounts(int[]? Counts);

        private static GuestVisibleFeatures Build(CpuCatalog catalog)
        {
            var features = new GuestVisibleFeatures(catalog);
            var levels = catalog.LevelModels;
            foreach (var mapping in catalog.QemuFlags)
            {
                if (mapping.ProvidedByKvm)
                {
                    continue;
                }

                foreach (var flag in mapping.CpuinfoFlags)
                {
                    if (features._level.ContainsKey(flag) || KvmNeverOffers.Contains(flag))
                    {
                        continue;
                    }

                    var level = 0;
                    while (level < levels.Count && !levels[level].RequiredFlags.Contains(flag))
                    {
                        level++;
                    }

                    features._level[flag] = level;
                }
            }

            return features;
        }
    }

    // ---- notes ---------------------------------------------------------------------------------------------

    private void AddGuestNotes(GuestConfig guest, List<GuestNote> notes)
    {
        if (guest.Template)
        {
            notes.Add(new GuestNote(GuestNote.Template, "template: clones inherit this CPU type"));
        }

        if (guest.Lock is { } lockValue)
        {
            notes.Add(new GuestNote(GuestNote.Locked, $"locked ({lockValue}): will not be rewritten"));
        }

        if (guest.Lock == "suspended" || guest.RunningCpu is not null)
        {
            var (text, unsafe_) = guest.RunningCpu is { } running
                ? PinnedCpu(running)
                : ("the CPU it was suspended with", true);
            notes.Add(new GuestNote(GuestNote.Suspended, $"hibernated: resumes with {text}", IsWarning: unsafe_));
        }

        foreach (var snapshot in guest.Snapshots)
        {
            if (snapshot.RunningCpu is { } pinned)
            {
                var (text, unsafe_) = PinnedCpu(pinned);
                notes.Add(new GuestNote(GuestNote.SnapshotRunningCpu, $"RAM snapshot '{snapshot.Name}' rolls back with {text}", IsWarning: unsafe_));
            }
            else if (!string.Equals(snapshot.Cpu, guest.Cpu, StringComparison.Ordinal))
            {
                var dropped = DropReason(snapshot.Cpu) is { } why ? $" ({why}: Proxmox ignores it and a rollback starts kvm64)" : "";
                notes.Add(new GuestNote(GuestNote.SnapshotCpu, $"snapshot '{snapshot.Name}' has cpu {snapshot.Cpu ?? "kvm64 (default)"}{dropped}"));
            }
        }
    }

    /// <summary>
    /// A <c>runningcpu</c> string (the exact QEMU <c>-cpu</c> a RAM snapshot or hibernated VM resumes with), judged
    /// like an <c>args: -cpu</c>: the pin matters only when some node cannot run it.
    /// </summary>
    private (string Text, bool Unsafe) PinnedCpu(string runningCpu)
    {
        // Judged against every node, and the same few pins repeat across many guests' snapshots: once per value.
        if (_pinned.TryGetValue(runningCpu, out var known))
        {
            return known;
        }

        var result = JudgePinnedCpu(runningCpu);
        _pinned[runningCpu] = result;
        return result;
    }

    private (string Text, bool Unsafe) JudgePinnedCpu(string runningCpu)
    {
        var spec = QemuCpuArgument.ParseSpec(runningCpu, "runningcpu");
        if (!spec.IsSuccess)
        {
            return ($"-cpu {runningCpu} (cannot be parsed)", true);
        }

        var flags = spec.Value.Flags.Where(f => !f.Name.StartsWith("kvm_", StringComparison.Ordinal)).ToList();
        var judged = EvaluateVm(new GuestConfig { VmId = 0, Node = "" }, spec.Value.Model, flags);
        return judged switch
        {
            { Verdict: Verdict.Ok } => ($"-cpu {spec.Value.Model} (every node can run it)", false),
            { Verdict: Verdict.Unverified } => ($"-cpu {spec.Value.Model} ({judged.Reason})", true),
            _ => ($"-cpu {spec.Value.Model}: {judged.Reason}", true),
        };
    }

    private GuestVerdict EvaluateVm(GuestConfig guest, string model, IReadOnlyList<GuestCpuFlag> flags)
    {
        var scratch = new List<GuestNote>();
        var spec = ResolveModelName(model, flags, null, model, scratch, raw: true);
        return spec.Failure is not null
            ? new GuestVerdict { Guest = guest, Verdict = spec.FailureVerdict, Cpu = spec.Display, Reason = spec.Failure }
            : spec.IsHost ? JudgeHost(guest, spec, scratch) : JudgeModel(guest, spec, scratch);
    }

    private void AddPendingNote(GuestConfig guest, List<GuestNote> notes)
    {
        if (guest.PendingCpu is null && !guest.PendingCpuDelete)
        {
            return;
        }

        var pending = EvaluateCpuValue(guest, guest.PendingCpuDelete ? null : guest.PendingCpu);
        var dropped = guest.PendingCpuDelete ? null : DropReason(guest.PendingCpu);
        var value = guest.PendingCpuDelete
            ? "kvm64 (cpu deleted)"
            : dropped is not null
                ? $"{guest.PendingCpu}, which Proxmox ignores ({dropped}): kvm64"
                : guest.PendingCpu!;

        // A pending value Proxmox will drop is a change that silently does not happen: worth a warning.
        notes.Add(new GuestNote(
            GuestNote.PendingChange,
            $"pending: cpu becomes {value} at the next cold start ({pending.Verdict.Name()})",
            IsWarning: pending.Verdict.IsUnsafe() || dropped is not null));
    }

    private void AddPhysBitsNote(string? physBits, List<GuestNote> notes)
    {
        if (!string.Equals(physBits, "host", StringComparison.Ordinal))
        {
            return;
        }

        // The note depends only on the nodes: built for the first guest that asks, shared by the rest.
        if (!_physBitsHostNote.Known)
        {
            _physBitsHostNote = (true, PhysBitsHostNote());
        }

        if (_physBitsHostNote.Note is { } note)
        {
            notes.Add(note);
        }
    }

    private GuestNote? PhysBitsHostNote()
    {
        var unknown = _readableNodes.Where(n => n.Facts.Cpu!.PhysicalAddressBits is null).Select(n => n.Node).ToList();
        if (unknown.Count > 0)
        {
            // The API's node status has no address sizes: say so rather than assume the widths match.
            return new GuestNote(
                GuestNote.PhysBitsHost,
                $"phys-bits=host, and the physical address width of {string.Join(", ", unknown)} is unknown (facts without 'address sizes'); widths may differ",
                IsWarning: true);
        }

        var widths = _readableNodes
            .Select(n => n.Facts.Cpu!.PhysicalAddressBits)
            .Where(b => b is not null)
            .Select(b => b!.Value)
            .Distinct()
            .Order()
            .ToList();
        return widths.Count > 1
            ? new GuestNote(
                GuestNote.PhysBitsHost,
                $"phys-bits=host across nodes of {string.Join("/", widths)} bits: a VM started on a wider node can crash after migrating to a narrower one (use phys-bits={widths[0]})",
                IsWarning: true)
            : null;
    }

    private static void AddUncheckedNote(IReadOnlyList<NodeFit> fits, List<GuestNote> notes)
    {
        var unchecked_ = fits.Where(f => f.CanRun is null && f.Reason.StartsWith("CPU facts unavailable", StringComparison.Ordinal)).Select(f => f.Node).ToList();
        if (unchecked_.Count > 0)
        {
            notes.Add(new GuestNote(GuestNote.UncheckedNodes, "not checked on " + string.Join(", ", unchecked_) + " (CPU facts unavailable)", IsWarning: true));
        }
    }

    private static string Origin(GuestConfig guest) => guest.Origin ?? $"VM {guest.VmId}";

    private static string VendorName(string vendorId) => vendorId switch
    {
        "GenuineIntel" => "Intel",
        "AuthenticAMD" => "AMD",
        "HygonGenuine" => "Hygon",
        _ => vendorId,
    };

    /// <summary>Lists up to eight items, then "and N more", so a reason stays one readable line.</summary>
    /// <summary>The first <paramref name="max"/> items and how many more; one more is named, never "and 1 more".</summary>
    internal static string Abbreviate(IReadOnlyCollection<string> items, int max = 8) =>
        items.Count <= max + 1 ? string.Join(", ", items) : string.Join(", ", items.Take(max)) + $" and {items.Count - max} more";
}
