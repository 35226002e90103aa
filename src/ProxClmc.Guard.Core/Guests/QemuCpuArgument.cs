using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.Guests;

/// <summary>A raw <c>-cpu model,+flag,-flag,flag=on,...</c> found in a VM's <c>args</c>; it overrides <c>cpu</c>.</summary>
public sealed record QemuCpuArgument(string Model, IReadOnlyList<GuestCpuFlag> Flags, IReadOnlyList<string> OtherOptions)
{
    /// <summary>
    /// Finds the <c>-cpu</c> in an <c>args</c> line: null when there is none, a failed result when a <c>-cpu</c>
    /// is present but cannot be parsed (the guest is then judged "unverified").
    /// </summary>
    public static ParseResult<QemuCpuArgument>? FindIn(string args, string source = "args") => throw new NotImplementedException();
}
