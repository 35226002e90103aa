using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Core.Policy;

namespace ProxClmc.Guard.Core.Compliance;

// Judging a named or generic model (and its flags) against each node.
public sealed partial class ComplianceEvaluator
{
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
}
