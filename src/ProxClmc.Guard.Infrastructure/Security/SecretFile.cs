using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Infrastructure.Security;

/// <summary>
/// Reads a secret (API token secret, password) from a file named by a <c>*_file</c> key. Secrets never come from
/// the command line or the TOML itself, and a file others can read is refused: a token readable by every local user
/// is a leaked token.
/// </summary>
internal static class SecretFile
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

        string text;
        try
        {
            if (Directory.Exists(path))
            {
                throw new GuardConfigurationException($"{keyName}: {path} is a directory, not a file");
            }

            text = Posix.IsSupported ? ReadThroughOneHandle(path, keyName) : ReadByPath(path, keyName);
        }
        catch (FileNotFoundException)
        {
            throw new GuardConfigurationException($"{keyName}: {path} does not exist");
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

    /// <summary>
    /// Type, owner and mode are checked on the opened file, and the secret is read from that same handle: a file
    /// swapped between a check by path and the read cannot slip through. The owner must be root or the user running
    /// the tool (a secret another account owns could be replaced by that account).
    /// </summary>
    private static string ReadThroughOneHandle(string path, string keyName)
    {
        using var handle = Posix.OpenRegularForRead(path, followLinks: true);
        var status = Posix.Stat(handle, path);
        var me = Posix.EffectiveUserId;
        if (status.Uid != 0 && status.Uid != me)
        {
            throw new GuardConfigurationException(
                $"{keyName}: {path} is owned by uid {status.Uid}; a secret file must be owned by root (chown root: {path})");
        }

        if ((status.Permissions & (int)GroupOrOther) != 0)
        {
            throw new GuardConfigurationException(
                $"{keyName}: {path} has mode {status.OctalPermissions}; secrets must be 0600 or 0400 (chmod 600 {path})");
        }

        if (status.Size > MaxSecretBytes)
        {
            throw new GuardConfigurationException($"{keyName}: {path} is {status.Size} bytes; a secret file holds one line");
        }

        try
        {
            return new System.Text.UTF8Encoding(false).GetString(Posix.ReadAll(handle, MaxSecretBytes, path));
        }
        catch (InputTooLargeException)
        {
            throw new GuardConfigurationException($"{keyName}: {path} is larger than {MaxSecretBytes} bytes; a secret file holds one line");
        }
    }

    private static string ReadByPath(string path, string keyName)
    {
        var mode = OperatingSystem.IsWindows() ? UnixFileMode.UserRead : File.GetUnixFileMode(path);
        if ((mode & GroupOrOther) != 0)
        {
            throw new GuardConfigurationException(
                $"{keyName}: {path} has mode {FormatMode(mode)}; secrets must be 0600 or 0400 (chmod 600 {path})");
        }

        return File.ReadAllText(path);
    }

    internal static string FormatMode(UnixFileMode mode) =>
        "0" + Convert.ToString((int)mode & 0xFFF, 8).PadLeft(3, '0');
}
