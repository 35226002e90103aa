using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Infrastructure.Security;

/// <summary>
/// Reads a secret (API token secret, password) from a file named by a <c>*_file</c> key. Secrets never come from
/// the command line or the TOML itself, and a file others can read is refused: a token readable by every local user
/// is a leaked token.
/// </summary>
public static class SecretFile
{
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Small on purpose: a secret is one line; anything bigger is the wrong file.</summary>
    private const int MaxSecretBytes = 64 * 1024;

    /// <summary>
    /// The secret in <paramref name="path"/>, without its trailing newline.
    /// Throws <see cref="GuardConfigurationException"/> (exit 78) naming <paramref name="keyName"/> when the file is
    /// missing, unreadable, empty, or has any group/other permission bit.
    /// </summary>
    public static string Read(string path, string keyName)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new GuardConfigurationException($"{keyName}: no file given");
        }

        UnixFileMode mode;
        try
        {
            if (!File.Exists(path))
            {
                throw new GuardConfigurationException(
                    Directory.Exists(path) ? $"{keyName}: {path} is a directory, not a file" : $"{keyName}: {path} does not exist");
            }

            // Windows has no Unix mode bits; the tool runs on Proxmox nodes (Debian), where this always applies.
            mode = OperatingSystem.IsWindows() ? UnixFileMode.UserRead : File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GuardConfigurationException($"{keyName}: cannot read {path}: {e.Message}", e);
        }

        if ((mode & GroupOrOther) != 0)
        {
            throw new GuardConfigurationException(
                $"{keyName}: {path} has mode {FormatMode(mode)}; secrets must be 0600 or 0400 (chmod 600 {path})");
        }

        string text;
        try
        {
            var info = new FileInfo(path);
            if (info.Length > MaxSecretBytes)
            {
                throw new GuardConfigurationException($"{keyName}: {path} is {info.Length} bytes; a secret file holds one line");
            }

            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GuardConfigurationException($"{keyName}: cannot read {path}: {e.Message}", e);
        }

        var secret = text.TrimEnd('\n', '\r');
        if (secret.Length == 0 || secret.Trim().Length == 0)
        {
            throw new GuardConfigurationException($"{keyName}: {path} is empty");
        }

        if (secret.Contains('\n', StringComparison.Ordinal))
        {
            throw new GuardConfigurationException($"{keyName}: {path} holds more than one line; a secret file holds exactly the secret");
        }

        return secret;
    }

    internal static string FormatMode(UnixFileMode mode) =>
        "0" + Convert.ToString((int)mode & 0xFFF, 8).PadLeft(3, '0');
}
