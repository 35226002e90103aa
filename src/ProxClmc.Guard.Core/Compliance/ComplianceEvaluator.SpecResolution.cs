using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Core.Policy;

namespace ProxClmc.Guard.Core.Compliance;

// How a guest's CPU setting resolves to a model and flags, and which values Proxmox drops.
public sealed partial class ComplianceEvaluator
{
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
}
