using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Security;

/// <summary>
/// Every folder root writes into is opened from <c>/</c> down without following a symlink at any component: the
/// account that owns an ancestor (Debian's node_exporter layout) can at most replace the file, never redirect root.
/// </summary>
public sealed class WritePathHardeningTests : IDisposable
{
    private const UnixFileMode Mode0755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                          UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void The_owner_of_the_textfile_folders_parent_cannot_redirect_the_report_through_a_symlink()
    {
        // Debian's prometheus-node-exporter: /var/lib/prometheus and its node-exporter folder belong to prometheus.
        using var exporter = LocalUser.Create();
        var parent = Directory.CreateDirectory(_tree.PathOf("var-lib-prometheus")).FullName;
        var textfiles = Directory.CreateDirectory(Path.Combine(parent, "node-exporter")).FullName;
        var elsewhere = Directory.CreateDirectory(_tree.PathOf("chosen-by-the-user")).FullName;
        foreach (var folder in new[] { parent, textfiles, elsewhere })
        {
            File.SetUnixFileMode(folder, Mode0755);
            exporter.Owns(folder);
        }

        var prom = Path.Combine(textfiles, "proxclmc-guard.prom");
        var config = _tree.Write($"[report]\njson_file = \"\"\nprometheus_textfile = \"{prom}\"\n", "proxclmc-guard.toml");

        // The layout as Debian makes it works as before.
        var before = GuardRun.Run("scan", "--from", GuardRun.Lab, "--config", config, "--write-reports");
        Assert.True(before.Exit == 2, before.ToString());
        Assert.Contains("proxclmc_guard_", File.ReadAllText(prom), StringComparison.Ordinal);

        // The account that owns the parent swaps the textfile folder for a symlink to a folder of its choice.
        exporter.Shell($"mv {textfiles} {parent}/old && ln -s {elsewhere} {textfiles}");

        var result = GuardRun.Run("scan", "--from", GuardRun.Lab, "--config", config, "--write-reports");

        Assert.True(result.Exit == 78, result.ToString());
        Assert.Equal(
            $"proxclmc-guard: {textfiles}: is a symbolic link; root writes only into real folders, never through a link (name the real folder in the configuration instead of {textfiles})",
            Assert.Single(result.ErrorLines));
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
    }

    [Fact]
    public void A_saved_plan_is_0600_whatever_the_umask_like_the_stored_plans()
    {
        var file = _tree.PathOf("reviewed-plan.json");
        var config = _tree.Write($"[fix]\nundo_dir = \"{_tree.PathOf("undo")}\"\n", "proxclmc-guard.toml");

        var result = GuardRun.Run("fix", "--config", config, "--from", GuardRun.Lab, "--save-plan", file);

        Assert.True(result.Exit == 2, result.ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public void Prometheus_labels_show_control_characters_and_bidirectional_overrides_from_a_VM_name_as_the_tables_do()
    {
        _tree.CopyFrom(GuardRun.Lab);
        var conf = _tree.PathOf("nodes", "pve2", "qemu-server", "103.conf");
        File.WriteAllText(conf, File.ReadAllText(conf).Replace("name: gitlab-runner", "name: dns\u001b[2J\u0007\r\u202Eyrammirp", StringComparison.Ordinal));

        var result = GuardRun.Run("scan", "--from", _tree.Root, "--format", "prometheus");

        var line = Assert.Single(result.OutLines, l => l.StartsWith("proxclmc_guard_unsafe_guest{vmid=\"103\"", StringComparison.Ordinal));
        Assert.Contains("name=\"dns\\\\x1B[2J\\\\x07\\\\x0D\\\\u202Eyrammirp\"", line, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Out, c => c is '\u001b' or '\u0007' or '\r' or '\u202E');
    }

    [Fact]
    public void A_configuration_in_a_folder_another_user_owns_is_refused_even_when_the_file_is_a_link_to_a_root_file()
    {
        using var user = LocalUser.Create();
        var folder = Directory.CreateDirectory(_tree.PathOf("etc-proxclmc-guard")).FullName;
        File.SetUnixFileMode(folder, Mode0755);
        user.Owns(folder);
        var empty = _tree.Write("", "root-owned", "empty.toml");
        var config = Path.Combine(folder, "proxclmc-guard.toml");

        // The folder's owner swaps the configuration for a link to an empty root-owned file: defaults, no [hook] settings.
        user.Shell($"ln -s {empty} {config}");

        var result = GuardRun.Run("baseline", "--from", GuardRun.Lab, "--config", config);

        Assert.True(result.Exit == 78, result.ToString());
        Assert.Equal(
            $"proxclmc-guard: {config}: {folder} is owned by uid {user.Uid}, not root; the configuration decides what root runs and writes",
            Assert.Single(result.ErrorLines));
    }
}
