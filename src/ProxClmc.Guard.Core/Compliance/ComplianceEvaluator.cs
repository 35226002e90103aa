using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
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
    private readonly Dictionary<(string? Cpu, string? Args), (GuestVerdict Verdict, IReadOnlyList<GuestNote> SpecNotes, string? PhysBits)> _judged = [];

    public ComplianceEvaluator(ClusterBaseline baseline, CpuCatalog catalog, GuardPolicy policy, CustomCpuModels? customModels = null)
    {
        _baseline = baseline;
        _catalog = catalog;
        _policy = policy;
        _customModels = customModels ?? CustomCpuModels.Empty;
        _readableNodes = baseline.Nodes.Where(n => n.IsReadable).ToList();
        _hostIdentity = HostCpuIdentity.Of(_readableNodes);
    }

    public ComplianceReport EvaluateAll(IEnumerable<GuestConfig> guests, DateTimeOffset generatedAt) =>
        new(_baseline, ComplianceReport.Order(guests.Select(Evaluate)), generatedAt);

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
        EvaluateVm(guest with { Cpu = cpuValue, Args = null, PendingCpu = null, PendingCpuDelete = false, Snapshots = [], RunningCpu = null });

    private string? IgnoredBecause(GuestConfig guest)
    {
        if (_policy.IgnoreVmIds.Contains(guest.VmId))
        {
            return "policy.ignore_vmids";
        }

        var tag = guest.Tags.FirstOrDefault(t => _policy.IgnoreTags.Contains(t, StringComparer.OrdinalIgnoreCase));
        return tag is null ? null : $"tag '{tag}'";
    }

    private GuestVerdict EvaluateVm(GuestConfig guest)
    {
        var notes = new List<GuestNote>();
        AddGuestNotes(guest, notes);

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

        var (judged, specNotes, physBits) = Judge(guest);
        notes.AddRange(specNotes);
        AddPhysBitsNote(physBits, notes);
        AddPendingNote(guest, notes);
        return judged with { Guest = guest, Notes = notes };
    }

    /// <summary>
    /// The verdict of a CPU setting. Clusters have thousands of guests but a handful of distinct <c>cpu</c> and
    /// <c>args</c> lines, so each distinct setting is judged against every node once and the answer shared.
    /// Failures carry the guest's file in their message and are not shared.
    /// </summary>
    private (GuestVerdict Verdict, IReadOnlyList<GuestNote> SpecNotes, string? PhysBits) Judge(GuestConfig guest)
    {
        var key = (guest.Cpu, guest.Args);
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

        var verdict = spec.IsHost ? JudgeHost(guest, spec, specNotes) : JudgeModel(guest, spec, specNotes);
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
            return ResolveModelName(arg.Model, arg.Flags, null, display, notes);
        }

        if (guest.Cpu is null)
        {
            return ResolveModelName("kvm64", [], null, "kvm64 (default)", notes);
        }

        var parsed = GuestCpu.Parse(guest.Cpu, $"{Origin(guest)}: cpu");
        if (!parsed.IsSuccess)
        {
            return new CpuSpec(guest.Cpu) { Failure = parsed.Error.Message, FailureVerdict = Verdict.InvalidConfig };
        }

        var cpu = parsed.Value;
        return ResolveModelName(cpu.CpuType ?? "kvm64", cpu.Flags, cpu.PhysBits, guest.Cpu, notes);
    }

    private CpuSpec ResolveModelName(string name, IReadOnlyList<GuestCpuFlag> flags, string? physBits, string display, List<GuestNote> notes)
    {
        if (name is "host" or "max")
        {
            return new CpuSpec(display) { IsHost = true, HostName = name, Flags = flags, PhysBits = physBits };
        }

        if (name.StartsWith("custom-", StringComparison.Ordinal))
        {
            var bare = name["custom-".Length..];
            if (!_customModels.TryGet(bare, out var custom))
            {
                if (_customModels.Unresolved(bare) is { } why)
                {
                    // The model exists (the node lists it) but its definition could not be read: not unknown, unverified.
                    notes.Add(new GuestNote(GuestNote.CustomModelUnverified, $"custom model '{bare}': {why}", IsWarning: true));
                    return new CpuSpec(display) { Failure = $"custom model '{bare}' exists but its definition could not be read: {why}", FailureVerdict = Verdict.Unverified };
                }

                return new CpuSpec(display) { Failure = $"custom model '{bare}' is not defined in cpu-models.conf" };
            }

            notes.Add(new GuestNote(GuestNote.CustomModel, $"custom model '{bare}' = {custom.ReportedModel}{string.Concat(custom.Flags.Select(f => "," + f))}"));
            var resolved = ResolveModelName(custom.ReportedModel, [.. custom.Flags, .. flags], physBits ?? custom.PhysBits, display, notes);
            return resolved.Failure is null ? resolved : resolved with { Failure = $"custom model '{bare}': {resolved.Failure}" };
        }

        if (!_catalog.TryGetModel(name, out var model))
        {
            return new CpuSpec(display) { Failure = $"'{name}' is not a CPU model Proxmox VE knows (QEMU 7.2, 10.0, 11.1)" };
        }

        if (model.QemuVersions.Count is > 0 and < 3)
        {
            notes.Add(new GuestNote(GuestNote.QemuVersion, $"{model.Name} is known only to QEMU {string.Join(", ", model.QemuVersions.Order(StringComparer.Ordinal))}: older nodes refuse it"));
        }

        return new CpuSpec(display) { Model = model, Flags = flags, PhysBits = physBits };
    }

    // ---- named and generic models --------------------------------------------------------------------------

    private GuestVerdict JudgeModel(GuestConfig guest, CpuSpec spec, List<GuestNote> notes)
    {
        var model = spec.Model!;
        var required = new HashSet<string>(model.RequiredFlags, StringComparer.Ordinal);
        var notCheckable = new List<string>(model.NotCheckable);
        var unknownFlags = new List<string>();
        var nestedVirt = false;

        foreach (var flag in spec.Flags)
        {
            if (flag.Name == "nested-virt")
            {
                // qemu-server 9.0.27+: becomes svm or vmx, whichever the host has.
                nestedVirt = flag.Enabled;
                continue;
            }

            var mapping = _catalog.MapQemuFlag(flag.Name);
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

        var requirement = new CpuRequirement
        {
            Description = spec.Display,
            Vendor = model.Vendor,
            Flags = required,
            BugsMustBeAbsent = model.BugsMustBeAbsent,
            NotCheckable = notCheckable,
            Model = spec.Flags.Count == 0 ? model : null,
        }.WithQemuForm(model, spec.Flags.Select(f => (f.Name, f.Enabled)));

        var fits = new List<NodeFit>();
        foreach (var node in _baseline.Nodes)
        {
            fits.Add(FitOf(node, requirement, nestedVirt));
        }

        if (fits.Where(f => f.ModelUnknownToQemu).Select(f => f.Node).ToList() is { Count: > 0 } unknownTo)
        {
            notes.Add(new GuestNote(GuestNote.QemuVersion, $"the QEMU of {string.Join(", ", unknownTo)} does not know {model.Name}: it cannot start there"));
        }

        if (model.Vendor is not null && _baseline.VendorMix)
        {
            notes.Add(new GuestNote(GuestNote.VendorMix, $"{model.Name} is a {VendorName(model.Vendor)} model in a cluster with mixed CPU vendors"));
        }

        AddUncheckedNote(fits, notes);

        var refused = fits.Where(f => f.IsRefused).ToList();
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

        var unverified = fits.SelectMany(f => f.Unverified).Distinct(StringComparer.Ordinal).ToList();
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

        var reason = _readableNodes.Count == _baseline.Nodes.Count
            ? $"every node can run {model.Name}"
            : $"every readable node can run {model.Name}";
        return new GuestVerdict { Guest = guest, Verdict = Verdict.Ok, Cpu = spec.Display, Reason = reason, Fits = fits };
    }

    private NodeFit FitOf(NodeCapability node, CpuRequirement requirement, bool nestedVirt)
    {
        if (!node.IsReadable)
        {
            return new NodeFit(node.Node, null, [], false, [], "CPU facts unavailable: " + (node.Facts.Error ?? "not read"));
        }

        var check = node.Check(requirement, _policy.StrictVendor);
        var missing = check.MissingFlags.ToList();
        if (nestedVirt && !node.Facts.Cpu!.Flags.Contains("vmx") && !node.Facts.Cpu.Flags.Contains("svm"))
        {
            missing.Add("vmx/svm");
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

        if (missing.Count > 0)
        {
            reasons.Add("lacks " + Abbreviate(missing, 6));
        }

        if (check.PresentBugs.Count > 0)
        {
            reasons.Add("has CPU bug " + string.Join(", ", check.PresentBugs));
        }

        if (canRun && check.Unverified.Count > 0)
        {
            reasons.Add("unverified: " + Abbreviate(check.Unverified));
        }

        return new NodeFit(node.Node, canRun, missing, check.VendorMismatch, canRun ? check.Unverified : [], reasons.Count == 0 ? "ok" : string.Join("; ", reasons))
        {
            JudgedBy = check.AnsweredByQemu ? "qemu" : "cpuinfo",
            ModelUnknownToQemu = check.ModelUnknownToQemu,
        };
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
        var admitted = new HashSet<string>(pin.RequiredFlags, StringComparer.Ordinal);
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

    private GuestVerdict JudgeHost(GuestConfig guest, CpuSpec spec, List<GuestNote> notes)
    {
        var fits = _baseline.Nodes
            .Select(n => n.IsReadable
                ? new NodeFit(n.Node, _hostIdentity.Identical ? true : null, [], false, [], _hostIdentity.Identical ? "identical CPU" : _hostIdentity.Describe(n.Node))
                : new NodeFit(n.Node, null, [], false, [], "CPU facts unavailable: " + (n.Facts.Error ?? "not read")))
            .ToList();
        AddUncheckedNote(fits, notes);

        var pinned = _baseline.PinnedModel is { } pin ? $"; exceeds pinned baseline {pin.Name}" : "";
        if (_hostIdentity.Identical && _readableNodes.Count == _baseline.Nodes.Count && pinned.Length == 0)
        {
            if (_policy.HostCpu == HostCpuPolicy.AllowIdentical)
            {
                notes.Add(new GuestNote(GuestNote.IdenticalCpus, $"every node reports an identical CPU; adding a different node makes {spec.HostName} unsafe"));
                return new GuestVerdict { Guest = guest, Verdict = Verdict.Ok, Cpu = spec.Display, Reason = $"{spec.HostName} on identical CPUs ({_readableNodes.Count} node{(_readableNodes.Count == 1 ? "" : "s")})", Fits = fits };
            }

            return new GuestVerdict { Guest = guest, Verdict = Verdict.HostCpu, Cpu = spec.Display, Reason = $"{spec.HostName} passes the host CPU through (policy.host_cpu = \"unsafe\"; nodes are identical today)", Fits = fits };
        }

        var why = _readableNodes.Count < _baseline.Nodes.Count && _hostIdentity.Identical
            ? "some nodes could not be read, so identical CPUs cannot be confirmed"
            : "nodes differ: " + _hostIdentity.Summary;
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

        public static HostCpuIdentity Of(IReadOnlyList<NodeCapability> nodes)
        {
            if (nodes.Count == 0)
            {
                return new HostCpuIdentity { Identical = false, Summary = "no node could be read" };
            }

            var union = new HashSet<string>(StringComparer.Ordinal);
            foreach (var node in nodes)
            {
                union.UnionWith(node.Facts.Cpu!.Flags);
            }

            var first = nodes[0].Facts.Cpu!;
            var identical = nodes.All(n => NodeCapability.SameHostCpu(nodes[0].Facts, n.Facts));
            var identity = new HostCpuIdentity
            {
                Identical = identical,
                Summary = identical ? "identical" : DescribeDifferences(nodes, union),
            };

            foreach (var node in nodes)
            {
                var cpu = node.Facts.Cpu!;
                var lacks = union.Where(f => !cpu.Flags.Contains(f)).Order(StringComparer.Ordinal).ToList();
                identity._perNode[node.Node] = identical
                    ? "identical CPU"
                    : lacks.Count == 0 ? $"{cpu.ModelName}: has every flag of the other nodes" : $"{cpu.ModelName}: lacks {Abbreviate(lacks)}";
            }

            return identity;
        }

        private static string DescribeDifferences(IReadOnlyList<NodeCapability> nodes, HashSet<string> union)
        {
            var lacking = nodes
                .Select(n => (n.Node, Lacks: union.Count(f => !n.Facts.Cpu!.Flags.Contains(f))))
                .Where(x => x.Lacks > 0)
                .Select(x => $"{x.Node} lacks {x.Lacks} flag{(x.Lacks == 1 ? "" : "s")} another node has")
                .ToList();
            return lacking.Count > 0
                ? string.Join(", ", lacking) + "; a guest started on a richer node can crash on an illegal instruction after migrating"
                : nodes.All(n => n.Facts.Qemu is not null) ? "the features KVM passes through differ (QEMU's host expansion)" : "vendor, family or model differ";
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
                notes.Add(new GuestNote(GuestNote.SnapshotCpu, $"snapshot '{snapshot.Name}' has cpu {snapshot.Cpu ?? "kvm64 (default)"}"));
            }
        }
    }

    /// <summary>
    /// A <c>runningcpu</c> string (the exact QEMU <c>-cpu</c> a RAM snapshot or hibernated VM resumes with), judged
    /// like an <c>args: -cpu</c>: the pin matters only when some node cannot run it.
    /// </summary>
    private (string Text, bool Unsafe) PinnedCpu(string runningCpu)
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
        var spec = ResolveModelName(model, flags, null, model, scratch);
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
        var value = guest.PendingCpuDelete ? "kvm64 (cpu deleted)" : guest.PendingCpu!;
        notes.Add(new GuestNote(
            GuestNote.PendingChange,
            $"pending: cpu becomes {value} at the next cold start ({pending.Verdict.Name()})",
            IsWarning: pending.Verdict.IsUnsafe()));
    }

    private void AddPhysBitsNote(string? physBits, List<GuestNote> notes)
    {
        if (!string.Equals(physBits, "host", StringComparison.Ordinal))
        {
            return;
        }

        var unknown = _readableNodes.Where(n => n.Facts.Cpu!.PhysicalAddressBits is null).Select(n => n.Node).ToList();
        if (unknown.Count > 0)
        {
            // The API's node status has no address sizes: say so rather than assume the widths match.
            notes.Add(new GuestNote(
                GuestNote.PhysBitsHost,
                $"phys-bits=host, and the physical address width of {string.Join(", ", unknown)} is unknown (facts without 'address sizes'); widths may differ",
                IsWarning: true));
            return;
        }

        var widths = _readableNodes
            .Select(n => n.Facts.Cpu!.PhysicalAddressBits)
            .Where(b => b is not null)
            .Select(b => b!.Value)
            .Distinct()
            .Order()
            .ToList();
        if (widths.Count > 1)
        {
            notes.Add(new GuestNote(
                GuestNote.PhysBitsHost,
                $"phys-bits=host across nodes of {string.Join("/", widths)} bits: a VM started on a wider node can crash after migrating to a narrower one (use phys-bits={widths[0]})",
                IsWarning: true));
        }
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
    internal static string Abbreviate(IReadOnlyCollection<string> items, int max = 8) =>
        items.Count <= max ? string.Join(", ", items) : string.Join(", ", items.Take(max)) + $" and {items.Count - max} more";
}
