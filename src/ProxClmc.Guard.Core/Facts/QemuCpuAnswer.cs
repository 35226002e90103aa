namespace ProxClmc.Guard.Core.Facts;

/// <summary>One CPU model as the node's QEMU reports it under KVM (query-cpu-definitions).</summary>
public sealed record QemuModelAnswer(string Name, IReadOnlyList<string> UnavailableFeatures)
{
    /// <summary>The versioned model this name is an alias of (Haswell -> Haswell-v1), when QEMU says so.</summary>
    public string? AliasOf { get; init; }

    /// <summary>QEMU's own verdict: a model starts with <c>enforce</c> exactly when no feature is unavailable.</summary>
    public bool Usable => UnavailableFeatures.Count == 0;
}

/// <summary>
/// What a node's own QEMU says under KVM: its version, every model it knows with the features KVM on this host cannot
/// give (<c>query-cpu-definitions</c>), and every feature the <c>host</c> model expands to (<c>query-cpu-model-expansion</c>,
/// type full). This is what <c>enforce</c> checks when a VM starts, so it is exact where /proc/cpuinfo is only a hint.
/// </summary>
public sealed record QemuCpuAnswer
{
    private readonly Dictionary<string, QemuModelAnswer> _byName = new(StringComparer.Ordinal);
    private readonly HashSet<string> _host = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<QemuModelAnswer> _models = [];
    private readonly IReadOnlyList<string> _hostFeatures = [];

    /// <summary>The QEMU binary that answered (/usr/bin/kvm on Proxmox).</summary>
    public string Binary { get; init; } = "";

    /// <summary>major.minor.micro, e.g. 7.2.22.</summary>
    public required string Version { get; init; }

    /// <summary>Always "kvm": answers under TCG say nothing about what a VM can run.</summary>
    public string Accelerator { get; init; } = "kvm";

    public required IReadOnlyList<QemuModelAnswer> Models
    {
        get => _models;
        init
        {
            _models = value;
            _byName.Clear();
            foreach (var model in value)
            {
                _byName.TryAdd(model.Name, model);
            }
        }
    }

    /// <summary>Every property of the <c>host</c> expansion that is true: the features KVM can give a guest here (all QEMU spellings).</summary>
    public required IReadOnlyList<string> HostFeatures
    {
        get => _hostFeatures;
        init
        {
            _hostFeatures = value;
            _host.Clear();
            _host.UnionWith(value);
        }
    }

    public bool TryGetModel(string name, out QemuModelAnswer model) => _byName.TryGetValue(name, out model!);

    /// <summary>
    /// True when KVM can give the feature: QEMU's expansion lists every spelling of a feature (sse4.1, sse4_1, sse4-1;
    /// lahf_lm, lahf-lm), so one of the usual spellings of the name is enough.
    /// </summary>
    public bool HostHas(string feature) =>
        _host.Contains(feature) || _host.Contains(feature.Replace('_', '-')) || _host.Contains(feature.Replace('-', '_'))
        || _host.Contains(feature.Replace('_', '.')) || _host.Contains(feature.Replace('-', '.'));

    /// <summary>Same spelling rules as <see cref="HostHas"/>: the canonical form used to compare two feature names.</summary>
    public static string Canonical(string feature) => feature.Replace('_', '-').Replace('.', '-').ToLowerInvariant();

    /// <summary>True when both answers offer exactly the same features (for host/max guests moving between nodes).</summary>
    public bool SameHostFeatures(QemuCpuAnswer other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var mine = _host.Select(Canonical).ToHashSet(StringComparer.Ordinal);
        return mine.SetEquals(other._host.Select(Canonical));
    }

    /// <summary>Features one answer's host offers that the other's lacks (canonical spellings, sorted).</summary>
    public IReadOnlyList<string> HostFeaturesMissingFrom(QemuCpuAnswer other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var theirs = other._host.Select(Canonical).ToHashSet(StringComparer.Ordinal);
        return _host.Select(Canonical).Where(f => !theirs.Contains(f)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    public bool Equals(QemuCpuAnswer? other) =>
        other is not null && Binary == other.Binary && Version == other.Version && Accelerator == other.Accelerator
        && Models.Count == other.Models.Count
        && Models.Zip(other.Models).All(p => p.First.Name == p.Second.Name && p.First.UnavailableFeatures.SequenceEqual(p.Second.UnavailableFeatures))
        && _host.SetEquals(other._host);

    public override int GetHashCode() => HashCode.Combine(Binary, Version, Models.Count, _host.Count);
}
