namespace ProxClmc.Guard.Core.Guests;

/// <summary>
/// Proxmox's <c>pve-configid</c> format (PVE::JSONSchema), which names snapshot sections and custom CPU models:
/// <c>[a-z][a-z0-9_\-]+</c>, any case.
/// </summary>
internal static class ConfigId
{
    public static bool IsValid(string name)
    {
        if (name.Length < 2 || !char.IsAsciiLetter(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
