namespace ProxClmc.Guard.Core.Compliance;

/// <summary>The judgement on one guest. Names in reports are the kebab-case forms (<see cref="VerdictNames"/>).</summary>
public enum Verdict
{
    Ok,
    ExceedsBaseline,
    HostCpu,
    UnknownModel,
    Unverified,
    NotApplicable,
    Ignored,
    InvalidConfig,
}

public static class VerdictNames
{
    public static string Name(this Verdict verdict) => verdict switch
    {
        Verdict.Ok => "ok",
        Verdict.ExceedsBaseline => "exceeds-baseline",
        Verdict.HostCpu => "host-cpu",
        Verdict.UnknownModel => "unknown-model",
        Verdict.Unverified => "unverified",
        Verdict.NotApplicable => "not-applicable",
        Verdict.Ignored => "ignored",
        Verdict.InvalidConfig => "invalid-config",
        _ => "unknown",
    };

    /// <summary>Unsafe: the guest may fail (or crash) after a live migration inside this cluster.</summary>
    public static bool IsUnsafe(this Verdict verdict) =>
        verdict is Verdict.ExceedsBaseline or Verdict.HostCpu or Verdict.UnknownModel;

    /// <summary>Needs attention but is not known to be unsafe.</summary>
    public static bool IsWarning(this Verdict verdict) => verdict is Verdict.Unverified;

    public static IReadOnlyList<Verdict> All { get; } = Enum.GetValues<Verdict>();
}
