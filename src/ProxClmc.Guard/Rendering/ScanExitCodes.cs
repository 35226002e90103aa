using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Compliance;

namespace ProxClmc.Guard.Rendering;

/// <summary>
/// A scan's outcome as README "Exit codes" gives it: the exit code of <c>scan</c> and <c>baseline</c>, and the
/// <c>exit_code</c> the report documents state.
/// </summary>
internal static class ScanExitCodes
{
    public static int Of(ScanOutcome outcome) => outcome switch
    {
        ScanOutcome.AllSafe => ExitCodes.Ok,
        ScanOutcome.Warnings => ExitCodes.Warning,
        ScanOutcome.Unsafe => ExitCodes.Unsafe,
        _ => ExitCodes.Unknown,
    };
}
