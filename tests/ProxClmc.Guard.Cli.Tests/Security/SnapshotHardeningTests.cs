using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Security;

/// <summary>
/// Hostile snapshots and hostile output folders: <c>snapshot --out</c> writes only into a folder nobody else can
/// read or plant names in, and <c>scan --from</c> / <c>snapshot --from</c> read only regular files inside the
/// snapshot, never through a symlink and never blocking on a FIFO.
/// </summary>
public sealed class SnapshotHardeningTests : IDisposable
{
    private const UnixFileMode Mode0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    /// <summary>A root-only file the attack tries to get copied or read (stands for /root/.ssh/id_rsa).</summary>
    private string Secret()
    {
        var path = _tree.Write("-----BEGIN OPENSSH PRIVATE KEY----- not really\n", "root-only", "id_rsa");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    [Fact]
    public void A_new_out_folder_is_created_0700_and_every_file_in_it_0600()
    {
        var folder = _tree.PathOf("out", "snap");

        var result = GuardRun.Run("snapshot", "--from", GuardRun.Lab, "--out", folder);

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal(Mode0700, File.GetUnixFileMode(folder));
        Assert.Equal(Mode0700, File.GetUnixFileMode(Path.Combine(folder, "nodes", "pve1")));
        Assert.All(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories), f =>
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
    }

    [Fact]
    public void An_out_folder_that_is_a_symlink_is_refused_and_nothing_is_written_through_it()
    {
        var elsewhere = Directory.CreateDirectory(_tree.PathOf("elsewhere")).FullName;
        File.SetUnixFileMode(elsewhere, Mode0700);
        var link = _tree.PathOf("snap");
        File.CreateSymbolicLink(link, elsewhere);

        var result = GuardRun.Run("snapshot", "--from", GuardRun.Lab, "--out", link);

        Assert.True(result.Exit == 64, result.ToString());
        Assert.Equal($"proxclmc-guard: {link}: is a symbolic link; snapshot --out needs a new folder, or an empty one owned by you with mode 0700", Assert.Single(result.ErrorLines));
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
    }

    [Fact]
    public void An_existing_empty_folder_others_can_read_is_refused()
    {
        var folder = Directory.CreateDirectory(_tree.PathOf("shared")).FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0x1ED); // 0755

        var result = GuardRun.Run("snapshot", "--from", GuardRun.Lab, "--out", folder);

        Assert.True(result.Exit == 64, result.ToString());
        Assert.Contains("has mode 0755; an existing folder for snapshot --out must have mode 0700", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }

    [Fact]
    public void An_existing_empty_folder_of_another_user_is_refused()
    {
        using var user = LocalUser.Create();
        var folder = Directory.CreateDirectory(_tree.PathOf("theirs")).FullName;
        File.SetUnixFileMode(folder, Mode0700);
        user.Owns(folder);

        var result = GuardRun.Run("snapshot", "--from", GuardRun.Lab, "--out", folder);

        Assert.True(result.Exit == 64, result.ToString());
        Assert.Contains($"owned by uid {user.Uid}, not by you (uid 0)", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }

    [Fact]
    public void Snapshot_from_a_tree_whose_cpuinfo_is_a_symlink_does_not_copy_what_it_points_to()
    {
        var secret = Secret();
        var from = _tree.PathOf("hostile");
        new TempTreeCopy(GuardRun.Lab, from).Run();
        var cpuinfo = Path.Combine(from, "nodes", "pve2", "cpuinfo");
        File.Delete(cpuinfo);
        File.CreateSymbolicLink(cpuinfo, secret);
        var folder = _tree.PathOf("out");

        var result = GuardRun.Run("snapshot", "--from", from, "--out", folder);

        Assert.True(result.Exit == 3, result.ToString());
        Assert.Contains("pve2", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folder, "nodes", "pve2", "cpuinfo")));
        Assert.DoesNotContain(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories), f => File.ReadAllText(f).Contains("PRIVATE KEY", StringComparison.Ordinal));
        Assert.Contains("is a symbolic link; refusing to follow it", File.ReadAllText(Path.Combine(folder, "manifest.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void Snapshot_from_a_tree_with_a_node_folder_symlinked_elsewhere_reads_nothing_through_it()
    {
        var secret = Secret();
        var from = _tree.PathOf("hostile");
        new TempTreeCopy(GuardRun.Lab, from).Run();
        File.Copy(secret, Path.Combine(Path.GetDirectoryName(secret)!, "cpuinfo"));
        var node = Path.Combine(from, "nodes", "pve3");
        Directory.Delete(node, recursive: true);
        Directory.CreateSymbolicLink(node, Path.GetDirectoryName(secret)!);
        var folder = _tree.PathOf("out");

        var result = GuardRun.Run("snapshot", "--from", from, "--out", folder);

        Assert.True(result.Exit == 3, result.ToString());
        Assert.DoesNotContain(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories), f => File.ReadAllText(f).Contains("PRIVATE KEY", StringComparison.Ordinal));
    }

    [Fact]
    public void Scan_from_a_snapshot_with_a_fifo_for_a_vm_config_answers_instead_of_hanging()
    {
        var from = _tree.PathOf("hostile");
        new TempTreeCopy(GuardRun.Lab, from).Run();
        var config = Path.Combine(from, "nodes", "pve1", "qemu-server", "100.conf");
        File.Delete(config);
        LocalUser.Run("mkfifo", config);

        // -v: the table keeps the whole reason (with the snapshot's long path) instead of shortening it to the width.
        var result = GuardRun.Run("scan", "--from", from, "-v");

        Assert.True(result.Exit == 3, result.ToString());
        Assert.Contains(result.OutLines, l => l.Contains("100", StringComparison.Ordinal) && l.Contains("invalid-config", StringComparison.Ordinal) && l.Contains("is a FIFO, not a regular file", StringComparison.Ordinal));
    }

    [Fact]
    public void Scan_from_a_snapshot_with_a_fifo_for_cpuinfo_answers_instead_of_hanging()
    {
        var from = _tree.PathOf("hostile");
        new TempTreeCopy(GuardRun.Lab, from).Run();
        var cpuinfo = Path.Combine(from, "nodes", "pve4", "cpuinfo");
        File.Delete(cpuinfo);
        LocalUser.Run("mkfifo", cpuinfo);

        var result = GuardRun.Run("scan", "--from", from);

        Assert.True(result.Exit == 3, result.ToString());
        Assert.Contains("pve4", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Names_with_terminal_escape_sequences_are_shown_not_obeyed()
    {
        var from = _tree.PathOf("hostile");
        new TempTreeCopy(GuardRun.Lab, from).Run();
        var config = Path.Combine(from, "nodes", "pve1", "qemu-server", "100.conf");
        var text = File.ReadAllLines(config).Where(l => !l.StartsWith("name:", StringComparison.Ordinal)).Append("name: web\u001b]0;pwned\u0007\u001b[2J\u009b31m");
        File.WriteAllLines(config, text);

        var result = GuardRun.Run("scan", "--from", from);

        Assert.DoesNotContain(result.Out, c => char.IsControl(c) && c != '\n');
        Assert.Contains(result.OutLines, l => l.Contains("web\\x1B]0;pwned\\x07\\x1B[2J\\x9B31m", StringComparison.Ordinal));
    }

    /// <summary>Copies a snapshot folder file by file (the test then damages the copy).</summary>
    private sealed class TempTreeCopy(string source, string target)
    {
        public void Run()
        {
            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                var to = Path.Combine(target, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(file, to);
            }
        }
    }
}
