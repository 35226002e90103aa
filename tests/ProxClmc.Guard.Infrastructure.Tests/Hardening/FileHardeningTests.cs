using System.Diagnostics;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Infrastructure.Security;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Infrastructure.Tests.Hardening;

/// <summary>
/// Files root writes into folders other accounts own, and secrets it reads: each attack a local user could try, run
/// for real by a second account, fails and leaves the root-only file untouched.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FileHardeningTests : IDisposable
{
    private const UnixFileMode Mode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Mode0755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                          UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly string _dir = Directory.CreateTempSubdirectory("proxclmc-hardening-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A root-only file (stands for /root/.ssh/id_rsa, the cluster's root key).</summary>
    private string RootOnlySecret()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "root-only")).FullName;
        var path = Path.Combine(folder, "id_rsa");
        File.WriteAllText(path, "secret key\n");
        File.SetUnixFileMode(path, Mode0600);
        return path;
    }

    [Fact]
    public async Task The_owner_of_the_report_folder_cannot_make_root_chmod_a_file_through_a_symlink()
    {
        var secret = RootOnlySecret();
        using var exporter = LocalUser.Create();
        var textfiles = Directory.CreateDirectory(Path.Combine(_dir, "node-exporter")).FullName;
        File.SetUnixFileMode(textfiles, Mode0755);
        exporter.Owns(textfiles);
        File.SetUnixFileMode(_dir, Mode0755);

        // The folder's owner swaps every temporary file for a symlink to the key, as fast as it can.
        var attack = $"end=$(( $(date +%s) + 60 )); while [ $(date +%s) -lt $end ]; do for f in {textfiles}/.*.tmp; do " +
                     $"[ -f \"$f\" ] && rm -f \"$f\" && ln -s {secret} \"$f\"; done; done";
        using var attacker = StartAs(exporter, attack);
        try
        {
            var failures = 0;
            for (var i = 0; i < 300; i++)
            {
                try
                {
                    await AtomicFile.WriteAllTextAsync(Path.Combine(textfiles, "proxclmc_guard.prom"), $"run {i}\n");
                }
                catch (IOException)
                {
                    // A write the attacker broke fails; it never touches what the symlink points to.
                    failures++;
                }
            }

            Assert.True(failures < 300, "no write succeeded");
        }
        finally
        {
            attacker.Kill(entireProcessTree: true);
        }

        Assert.Equal(Mode0600, File.GetUnixFileMode(secret));
        Assert.Equal("secret key\n", File.ReadAllText(secret));
    }

    [Fact]
    public async Task A_target_replaced_by_a_symlink_is_replaced_itself_not_written_through()
    {
        var secret = RootOnlySecret();
        var target = Path.Combine(_dir, "report.json");
        File.CreateSymbolicLink(target, secret);

        await AtomicFile.WriteAllTextAsync(target, "{}\n");

        Assert.Equal("{}\n", File.ReadAllText(target));
        Assert.Null(new FileInfo(target).LinkTarget);
        Assert.Equal("secret key\n", File.ReadAllText(secret));
        Assert.Equal(Mode0600, File.GetUnixFileMode(secret));
    }

    [Fact]
    public async Task A_folder_everyone_can_write_without_the_sticky_bit_is_refused_with_one_line()
    {
        var open = Directory.CreateDirectory(Path.Combine(_dir, "open")).FullName;
        File.SetUnixFileMode(open, (UnixFileMode)0x1FF);

        var e = await Assert.ThrowsAsync<UnsafeLocationException>(() => AtomicFile.WriteAllTextAsync(Path.Combine(open, "r.prom"), "x"));

        Assert.Equal($"{open}: folder is writable by group or others (mode 0777) without the sticky bit; refusing to write into it (chmod go-w {open})", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(open));
    }

    [Fact]
    public async Task A_sticky_folder_everyone_can_write_is_accepted_and_the_mode_is_exact()
    {
        var sticky = Directory.CreateDirectory(Path.Combine(_dir, "sticky")).FullName;
        File.SetUnixFileMode(sticky, (UnixFileMode)0x3FF);
        var path = Path.Combine(sticky, "cache.json");
        File.WriteAllText(path, "old");
        File.SetUnixFileMode(path, (UnixFileMode)0x1B6);

        await AtomicFile.WriteAllTextAsync(path, "new", AtomicFile.Mode0640);

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(AtomicFile.Mode0640, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task The_facts_cache_is_written_0640_and_a_planted_symlink_is_replaced_not_followed()
    {
        var secret = RootOnlySecret();
        var state = Directory.CreateDirectory(Path.Combine(_dir, "state")).FullName;
        var path = Path.Combine(state, "facts.json");
        File.CreateSymbolicLink(path, secret);

        await Infrastructure.Facts.FactsCache.Load(path).SaveAsync();

        Assert.Null(new FileInfo(path).LinkTarget);
        Assert.Equal(AtomicFile.Mode0640, File.GetUnixFileMode(path));
        Assert.Equal("secret key\n", File.ReadAllText(secret));
        Assert.Equal(Mode0600, File.GetUnixFileMode(secret));
    }

    [Fact]
    public void A_secret_owned_by_another_user_is_refused_even_with_mode_0600()
    {
        using var user = LocalUser.Create();
        var path = Path.Combine(_dir, "token.secret");
        File.WriteAllText(path, "s3cret\n");
        File.SetUnixFileMode(path, Mode0600);
        user.Owns(path);

        var e = Assert.Throws<GuardConfigurationException>(() => SecretFile.Read(path, "api.token_secret_file"));

        Assert.Equal($"api.token_secret_file: {path} is owned by uid {user.Uid}; a secret file must be owned by root (chown root: {path})", e.Message);
    }

    [Fact]
    public void A_secret_that_is_a_fifo_is_refused_instead_of_blocking()
    {
        var path = Path.Combine(_dir, "token.fifo");
        LocalUser.Run("mkfifo", "-m", "600", path);

        var e = Assert.Throws<GuardConfigurationException>(() => SecretFile.Read(path, "api.token_secret_file"));

        Assert.Equal($"api.token_secret_file: cannot read {path}: {path}: is a FIFO, not a regular file; refusing to read it", e.Message);
    }

    [Fact]
    public void A_snapshot_file_is_read_only_if_it_is_a_regular_file_reached_without_symlinks()
    {
        var secret = RootOnlySecret();
        var snapshot = Directory.CreateDirectory(Path.Combine(_dir, "snap", "nodes", "pve1")).FullName;
        File.CreateSymbolicLink(Path.Combine(snapshot, "cpuinfo"), secret);
        Directory.CreateSymbolicLink(Path.Combine(_dir, "snap", "nodes", "pve2"), Path.GetDirectoryName(secret)!);
        var fs = new ContainedFileSystem(Path.Combine(_dir, "snap"));

        var viaFile = Assert.ThrowsAny<IOException>(() => fs.ReadAllText(Path.Combine(snapshot, "cpuinfo"), 1024));
        var viaFolder = Assert.ThrowsAny<IOException>(() => fs.ReadAllText(Path.Combine(_dir, "snap", "nodes", "pve2", "id_rsa"), 1024));

        Assert.EndsWith("is a symbolic link; refusing to follow it", viaFile.Message, StringComparison.Ordinal);
        Assert.Contains("refusing to follow it", viaFolder.Message, StringComparison.Ordinal);
        Assert.Equal(["pve1"], fs.EnumerateDirectories(Path.Combine(_dir, "snap", "nodes")).Select(Path.GetFileName));
    }

    private static Process StartAs(LocalUser user, string script)
    {
        var start = new ProcessStartInfo("setpriv") { UseShellExecute = false };
        foreach (var arg in new[] { $"--reuid={user.Uid}", $"--regid={user.Gid}", "--clear-groups", "--no-new-privs", "sh", "-c", script })
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("setpriv did not start");
    }
}
