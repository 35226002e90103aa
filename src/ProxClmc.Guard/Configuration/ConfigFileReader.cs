using System.Text;
using ProxClmc.Guard.Core.Parsing;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Configuration;

/// <summary>Reads the configuration file's text.</summary>
internal interface IConfigFileReader
{
    /// <summary>
    /// The file's text, or null when it does not exist. Throws <see cref="GuardConfigurationException"/> when it
    /// exists but cannot be used (unreadable, a directory, larger than <see cref="InputLimits.MaxConfigBytes"/>, not UTF-8).
    /// </summary>
    string? ReadTextOrNull(string path);
}

/// <summary>The real file system.</summary>
internal sealed class ConfigFileReader : IConfigFileReader
{
    public static ConfigFileReader Instance { get; } = new();

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public string? ReadTextOrNull(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                throw new GuardConfigurationException($"{path}: is a directory, not a configuration file");
            }

            using var stream = Infrastructure.IO.Posix.IsSupported
                ? new FileStream(OpenTrusted(path), FileAccess.Read, bufferSize: 1)
                : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            RequireTrustedOwner(stream, path);
            // Read at most one byte past the limit rather than trusting Length (pipes and /proc files report 0).
            var buffer = new byte[stream.CanSeek && stream.Length is > 0 and <= InputLimits.MaxConfigBytes ? (int)stream.Length + 1 : 16 * 1024];
            var total = 0;
            int read;
            while ((read = stream.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += read;
                if (total > InputLimits.MaxConfigBytes)
                {
                    throw new GuardConfigurationException($"{path}: larger than {InputLimits.MaxConfigBytes} bytes, not a configuration file");
                }

                if (total == buffer.Length)
                {
                    Array.Resize(ref buffer, Math.Min(buffer.Length * 2, InputLimits.MaxConfigBytes + 1));
                }
            }

            var span = buffer.AsSpan(0, total);
            if (span.StartsWith(Encoding.UTF8.Preamble))
            {
                span = span[Encoding.UTF8.Preamble.Length..];
            }

            return StrictUtf8.GetString(span);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (DecoderFallbackException)
        {
            throw new GuardConfigurationException($"{path}: not UTF-8 text (TOML files must be UTF-8)");
        }
        catch (Infrastructure.IO.UnsafeLocationException e)
        {
            throw new GuardConfigurationException($"{path}: {e.Message}; the configuration decides what root runs and writes", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new GuardConfigurationException($"{path}: cannot read: {OneLine(e.Message)}", e);
        }
        catch (IOException e)
        {
            throw new GuardConfigurationException($"{path}: cannot read: {OneLine(e.Message)}", e);
        }
    }

    /// <summary>
    /// The file through its folder, opened from <c>/</c> down: no symlink on the way or as the file, and every folder
    /// above it owned by root and writable by nobody else, so nobody can swap the file between check and read.
    /// </summary>
    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenTrusted(string path)
    {
        var full = Path.GetFullPath(path);
        using var folder = Infrastructure.IO.Posix.OpenTrustedDirectory(Path.GetDirectoryName(full)!);
        return Infrastructure.IO.Posix.OpenRegularForRead(Path.GetFileName(full), folder, full);
    }

    /// <summary>
    /// The configuration decides what root runs (hook.chain) and where root writes: owned by root (or the user running
    /// the tool) and writable by nobody else, checked on the opened file.
    /// </summary>
    private static void RequireTrustedOwner(FileStream stream, string path)
    {
        if (!Infrastructure.IO.Posix.IsSupported)
        {
            return;
        }

        var status = Infrastructure.IO.Posix.Stat(stream.SafeFileHandle, path);
        var me = Infrastructure.IO.Posix.EffectiveUserId;
        if (status.Uid != 0 && status.Uid != me)
        {
            throw new GuardConfigurationException($"{path}: owned by uid {status.Uid}; the configuration must be owned by root (chown root: {path})");
        }

        if (status.IsGroupOrWorldWritable)
        {
            throw new GuardConfigurationException($"{path}: mode {status.OctalPermissions} lets group or others change it; the configuration must be writable by root only (chmod go-w {path})");
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
