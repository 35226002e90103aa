using System.Text.RegularExpressions;

namespace ProxClmc.Guard.Configuration;

/// <summary>The <c>[hook]</c> header as the loader, the hook's fallback reader and the hookscript recognise it.</summary>
internal static partial class HookSectionHeader
{
    public static bool IsMatch(string trimmedLine) => HookSection().IsMatch(trimmedLine);

    [GeneratedRegex(@"^\[\s*hook\s*\]\s*(#.*)?$")]
    private static partial Regex HookSection();
}
