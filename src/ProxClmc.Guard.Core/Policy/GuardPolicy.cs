namespace ProxClmc.Guard.Core.Policy;

/// <summary>The <c>[policy]</c> section: how strictly guests are judged.</summary>
public sealed record GuardPolicy
{
    /// <summary>"auto" (computed from the nodes) or a pinned model, like VMware EVC.</summary>
    public string Baseline { get; init; } = "auto";

    public bool StrictVendor { get; init; } = true;

    public IReadOnlyList<string> IgnoreTags { get; init; } = ["proxclmc-ignore"];

    public IReadOnlyList<int> IgnoreVmIds { get; init; } = [];

    public HostCpuPolicy HostCpu { get; init; } = HostCpuPolicy.AllowIdentical;

    public bool IsPinned => !string.Equals(Baseline, "auto", StringComparison.OrdinalIgnoreCase);
}
