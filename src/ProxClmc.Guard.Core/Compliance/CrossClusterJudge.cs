using System.Globalization;
using System.Text;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Policy;

namespace ProxClmc.Guard.Core.Compliance;

/// <summary>What the other cluster makes of a guest's custom CPU model.</summary>
public enum CustomModelMatch
{
    /// <summary>Defined there exactly as here: the guest is judged on the model's flags.</summary>
    Identical,

    /// <summary>Not defined there: Proxmox refuses the remote migration.</summary>
    Missing,

    /// <summary>Defined there with other values: Proxmox refuses the remote migration.</summary>
    Different,

    /// <summary>The other cluster's definitions could not be read.</summary>
    Unknown,
}

/// <summary>A guest's custom model compared between the two clusters.</summary>
public sealed record CustomModelComparison(string Name, CustomModelMatch Match, CustomCpuModel? Here, CustomCpuModel? There);

/// <summary>
/// Judges this cluster's guests against another cluster (<c>--to-cluster</c>), for <c>qm remote-migrate</c>: each
/// guest gets the verdict it would get if its config were copied into the other cluster and scanned there (the same
/// evaluator, the other cluster's nodes and custom models), except for custom models, which must also be defined
/// identically on both sides. qemu-server checks exactly that before a remote migration starts (7f57a7c4,
/// "remote migration: validate custom CPU configs": <c>API2/Qemu.pm</c> remote_migrate_vm compares the model with
/// the remote's <c>GET /cluster/qemu/custom-cpu-models/{id}</c> through
/// <c>CPUConfig.pm</c> assert_custom_model_compatibility: the sorted flags, then every other property).
/// </summary>
public sealed class CrossClusterJudge
{
    private readonly ComplianceEvaluator _evaluator;
    private readonly ClusterBaseline _remote;
    private readonly CustomCpuModels _here;
    private readonly CustomCpuModels? _there;
    private readonly string _remoteName;

    /// <param name="remote">The other cluster's baseline (its nodes' facts).</param>
    /// <param name="here">This cluster's custom models.</param>
    /// <param name="there">The other cluster's custom models; null when they could not be read.</param>
    /// <param name="remoteName">How messages name the other cluster.</param>
    public CrossClusterJudge(ClusterBaseline remote, CpuCatalog catalog, GuardPolicy policy, CustomCpuModels here, CustomCpuModels? there, string remoteName)
    {
        _remote = remote;
        _here = here;
        _there = there;
        _remoteName = remoteName;

        // HA rules of this cluster say nothing about the other one: every node there is a place the guest may go.
        _evaluator = new ComplianceEvaluator(remote, catalog, policy, there ?? CustomCpuModels.Empty);
    }

    public ComplianceReport EvaluateAll(IEnumerable<GuestConfig> guests, DateTimeOffset generatedAt)
    {
        var report = _evaluator.EvaluateAll(guests, generatedAt);
        return report with { Verdicts = ComplianceReport.Order(report.Verdicts.Select(Adjust)) };
    }

    public GuestVerdict Evaluate(GuestConfig guest) => Adjust(_evaluator.Evaluate(guest));

    /// <summary>The custom model the guest starts with (its current <c>cpu</c>, unless <c>args: -cpu</c> overrides it), compared; null when it uses none.</summary>
    public CustomModelComparison? CompareCustomModel(GuestConfig guest)
    {
        if (guest.Type != GuestType.Qemu || guest.Kvm == false || guest.Cpu is null || guest.ConfigError is not null || guest.NotReadReason is not null)
        {
            return null;
        }

        if (guest.Args is { } args && QemuCpuArgument.FindIn(args) is { IsSuccess: true })
        {
            return null;
        }

        var parsed = GuestCpu.Parse(guest.Cpu);
        if (!parsed.IsSuccess || parsed.Value.CpuType is not { } type || !type.StartsWith("custom-", StringComparison.Ordinal))
        {
            return null;
        }

        var name = type["custom-".Length..];
        if (!_here.TryGet(name, out var here))
        {
            // Not defined here either: the guest does not start here, and its verdict already says so.
            return null;
        }

        if (_there is null || _there.Unresolved(name) is not null)
        {
            return new CustomModelComparison(name, CustomModelMatch.Unknown, here, null);
        }

        if (!_there.TryGet(name, out var there))
        {
            return new CustomModelComparison(name, CustomModelMatch.Missing, here, null);
        }

        return new CustomModelComparison(name, SameDefinition(here, there) ? CustomModelMatch.Identical : CustomModelMatch.Different, here, there);
    }

    /// <summary>As assert_custom_model_compatibility compares them: the flags as a sorted list, then every other property.</summary>
    public static bool SameDefinition(CustomCpuModel a, CustomCpuModel b) =>
        SortedFlags(a) == SortedFlags(b)
        && a.ReportedModel == b.ReportedModel
        && a.PhysBits == b.PhysBits
        && a.GuestPhysBits == b.GuestPhysBits
        && a.Hidden == b.Hidden
        && a.HvVendorId == b.HvVendorId
        && a.Level == b.Level;

    /// <summary>The model as a <c>cpu-models.conf</c> section (Proxmox's format: <c>cpu-model: name</c>, then indented properties).</summary>
    public static string Section(CustomCpuModel model)
    {
        var sb = new StringBuilder().Append("cpu-model: ").Append(model.Name).Append('\n');
        foreach (var (key, value) in Properties(model))
        {
            sb.Append('\t').Append(key).Append(' ').Append(value).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>The model on one line: "reported-model Haswell, flags +aes;+pcid".</summary>
    public static string Describe(CustomCpuModel model) => string.Join(", ", Properties(model).Select(p => $"{p.Key} {p.Value}"));

    private static IEnumerable<(string Key, string Value)> Properties(CustomCpuModel model)
    {
        if (model.Flags.Count > 0)
        {
            yield return ("flags", string.Join(';', model.Flags.Select(f => f.ToString())));
        }

        if (model.PhysBits is { } physBits)
        {
            yield return ("phys-bits", physBits);
        }

        if (model.GuestPhysBits is { } guestPhysBits)
        {
            yield return ("guest-phys-bits", guestPhysBits.ToString(CultureInfo.InvariantCulture));
        }

        if (model.Hidden is { } hidden)
        {
            yield return ("hidden", hidden ? "1" : "0");
        }

        if (model.HvVendorId is { } vendor)
        {
            yield return ("hv-vendor-id", vendor);
        }

        if (model.Level is { } level)
        {
            yield return ("level", level.ToString(CultureInfo.InvariantCulture));
        }

        yield return ("reported-model", model.ReportedModel);
    }

    private static string SortedFlags(CustomCpuModel model) =>
        string.Join(';', model.Flags.Select(f => f.ToString()).Order(StringComparer.Ordinal));

    private GuestVerdict Adjust(GuestVerdict verdict)
    {
        if (verdict.Verdict is Verdict.Ignored or Verdict.InvalidConfig or Verdict.NotApplicable || CompareCustomModel(verdict.Guest) is not { } comparison)
        {
            return verdict;
        }

        var type = $"custom-{comparison.Name}";
        switch (comparison.Match)
        {
            case CustomModelMatch.Missing:
                return verdict with
                {
                    Verdict = Verdict.UnknownModel,
                    Reason = $"{type} is not defined on {_remoteName}, so Proxmox refuses the migration: create it there in /etc/pve/virtual-guest/cpu-models.conf as {Describe(comparison.Here!)}",
                    Fits = [],
                };
            case CustomModelMatch.Different:
                return verdict with
                {
                    Verdict = Verdict.ExceedsBaseline,
                    Reason = $"{type} is defined differently on {_remoteName}, so Proxmox refuses the migration: here {Describe(comparison.Here!)}; there {Describe(comparison.There!)}",
                    Fits = Refused($"{type} is defined differently on {_remoteName}"),
                };
            case CustomModelMatch.Unknown when verdict.Verdict is Verdict.Ok or Verdict.UnknownModel:
                return verdict with
                {
                    Verdict = Verdict.Unverified,
                    Reason = $"the definition of {type} on {_remoteName} could not be read, so it cannot be compared with this cluster's",
                    Notes = [.. verdict.Notes, new GuestNote(GuestNote.CustomModelUnverified, $"{type} on {_remoteName}: definition not read", IsWarning: true)],
                };
            default:
                return verdict;
        }
    }

    private List<NodeFit> Refused(string reason) =>
        _remote.Nodes.Select(n => new NodeFit(n.Node, n.IsReadable ? false : null, [], false, [], n.IsReadable ? reason : $"CPU facts of {n.Node} unavailable")).ToList();
}
