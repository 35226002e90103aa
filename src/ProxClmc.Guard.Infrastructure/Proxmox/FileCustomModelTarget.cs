using System.Security.Cryptography;
using System.Text;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// Writes <c>&lt;pve_root&gt;/virtual-guest/cpu-models.conf</c> on a node the way qemu-server does: under pmxcfs's
/// lock for that file (pve-cluster src/PVE/Cluster.pm cfs_lock_file: a directory <c>priv/lock/file-virtual-guest_cpu-models_conf</c>,
/// held by whoever creates it; qemu-server CPUConfig.pm lock_custom_cpu_model_config; commit 7091d92e), only while
/// the file's SHA-1 digest is still the one the plan saw, then replaced whole.
/// </summary>
public sealed class FileCustomModelTarget(string pveRoot, TimeProvider clock) : ICustomModelTarget
{
    private const int MaxBytes = 1024 * 1024;

    public string Path => System.IO.Path.Combine(pveRoot, "virtual-guest", "cpu-models.conf");

    public string LockPath => System.IO.Path.Combine(pveRoot, "priv", "lock", "file-virtual-guest_cpu-models_conf");

    public string Description => Path;

    public Task<CustomModelsFile> ReadAsync(CancellationToken cancellationToken)
    {
        var bytes = ReadBytes();
        return Task.FromResult(new CustomModelsFile(Digest(bytes), Encoding.UTF8.GetString(bytes)));
    }

    public async Task<WriteResult> WriteAsync(string name, IReadOnlyList<KeyValuePair<string, string>> properties, bool replace, string digest, CancellationToken cancellationToken)
    {
        if (!await TakeLockAsync(cancellationToken).ConfigureAwait(false))
        {
            return new WriteResult(WriteOutcome.Locked, $"{LockPath} is held by another writer (waited 10 s, as Proxmox does)");
        }

        try
        {
            var bytes = ReadBytes();
            var now = Digest(bytes);
            if (!string.Equals(now, digest, StringComparison.Ordinal))
            {
                return new WriteResult(WriteOutcome.DigestMismatch, $"{Path} changed since the plan (digest {digest}, now {now})");
            }

            var text = Encoding.UTF8.GetString(bytes);
            var section = Section(name, properties);
            var updated = replace ? Replace(text, name, section) : Append(text, section);
            if (updated is null)
            {
                return new WriteResult(WriteOutcome.DigestMismatch, $"{Path} has no model {name} any more");
            }

            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            AtomicFile.WriteAllBytes(Path, Encoding.UTF8.GetBytes(updated), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
            return new WriteResult(WriteOutcome.Written);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new WriteResult(WriteOutcome.Failed, $"{Path}: {e.Message}");
        }
        finally
        {
            try
            {
                Directory.Delete(LockPath);
            }
            catch (IOException)
            {
                // pmxcfs drops a lock nobody renews after 120 s.
            }
        }
    }

    /// <summary>SHA-1 of the raw file, as pmxcfs's cfs_read_file gives it (an absent file reads as empty).</summary>
    public static string Digest(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA1.HashData(bytes));

    private byte[] ReadBytes()
    {
        var info = new FileInfo(Path);
        if (!info.Exists)
        {
            return [];
        }

        if (info.LinkTarget is not null)
        {
            throw new IOException($"{Path} is a symbolic link: not read");
        }

        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 4096, FileOptions.None);
        var buffer = new byte[MaxBytes + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = stream.Read(buffer, total, buffer.Length - total)) > 0)
        {
            total += read;
        }

        if (total > MaxBytes)
        {
            throw new IOException($"{Path} is larger than {MaxBytes} bytes (pmxcfs's limit): not read");
        }

        return buffer[..total];
    }

    private async Task<bool> TakeLockAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(LockPath)!);
        // cfs_lock waits up to 10 s for the lock: 100 tries, 100 ms apart (counted, not timed, so a test clock cannot stall it).
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (ExclusiveDirectory.TryCreate(LockPath))
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), clock, cancellationToken).ConfigureAwait(false);
        }

        return false;
    }

    private static string Section(string name, IReadOnlyList<KeyValuePair<string, string>> properties)
    {
        var text = new StringBuilder().Append("cpu-model: ").Append(name).Append('\n');
        foreach (var (key, value) in properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append('\t').Append(key).Append(' ').Append(value).Append('\n');
        }

        return text.Append('\n').ToString();
    }

    private static string Append(string text, string section)
    {
        if (text.Length == 0)
        {
            return section;
        }

        var body = text.EndsWith("\n\n", StringComparison.Ordinal) ? text : text.EndsWith('\n') ? text + "\n" : text + "\n\n";
        return body + section;
    }

    /// <summary>The model's section (its header up to the blank line that ends it) replaced by the new one; null when the model is gone.</summary>
    private static string? Replace(string text, string name, string section)
    {
        var lines = text.Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimEnd('\r').StartsWith("cpu-model:", StringComparison.Ordinal) && l["cpu-model:".Length..].Trim() == name);
        if (start < 0)
        {
            return null;
        }

        var end = start + 1;
        while (end < lines.Length && lines[end].Trim().Length > 0 && !lines[end].StartsWith("cpu-model:", StringComparison.Ordinal))
        {
            end++;
        }

        if (end < lines.Length && lines[end].Trim().Length == 0)
        {
            end++;
        }

        var before = string.Join('\n', lines[..start]);
        var after = string.Join('\n', lines[end..]);
        return (before.Length > 0 ? before + "\n" : "") + section + after;
    }
}
