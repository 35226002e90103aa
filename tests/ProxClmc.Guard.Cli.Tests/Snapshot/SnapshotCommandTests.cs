using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Snapshot;

/// <summary><c>snapshot --out</c> from a tree (<c>--from</c>) and from the Proxmox API (the fake one, over real HTTPS).</summary>
public sealed class SnapshotCommandTests : FakePveTest
{

    [Fact]
    public void A_snapshot_of_a_snapshot_holds_the_same_files_and_a_manifest()
    {
        var folder = Path.Combine(Dir, "copy", "nested");

        var result = GuardRun.Run("snapshot", "--from", GuardRun.Lab, "--out", folder);

        Assert.True(result.Exit == 0, result.ToString());
        var copied = ReportJson.Files(folder);
        Assert.True(copied.Remove("manifest.json"));
        var original = ReportJson.Files(GuardRun.Lab);
        Assert.Equal(original.Keys, copied.Keys);
        Assert.All(original, f => Assert.Equal(f.Value, copied[f.Key]));

        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")));
        Assert.Equal("proxclmc-guard", manifest.RootElement.GetProperty("tool").GetString());
        Assert.Equal("2026-11-23T12:00:00Z", manifest.RootElement.GetProperty("time").GetString());
        Assert.Equal(4, manifest.RootElement.GetProperty("nodes").GetArrayLength());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.Empty(manifest.RootElement.GetProperty("failedNodes").EnumerateArray());
    }

    [Fact]
    public void An_etcPve_tree_gets_the_local_nodes_cpuinfo_and_lists_the_others_as_missing()
    {
        var pve = Path.Combine(Dir, "etc-pve");
        foreach (var file in Directory.EnumerateFiles(GuardRun.Lab, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != "cpuinfo"))
        {
            var target = Path.Combine(pve, Path.GetRelativePath(GuardRun.Lab, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        Directory.CreateDirectory(Path.Combine(pve, "priv"));
        File.WriteAllText(Path.Combine(pve, "priv", "authkey.key"), "secret");
        var config = Path.Combine(Dir, "local.toml");
        File.WriteAllText(config, $"""
            [cluster]
            local_node = "pve2"

            [facts]
            local_cpuinfo = "{GuardRun.CpuInfo("amd-epyc-7301-zen1.txt")}"
            """);
        var folder = Path.Combine(Dir, "normalised");

        var strict = GuardRun.Run("snapshot", "--config", config, "--from", pve, "--out", folder);

        Assert.Equal(3, strict.Exit);
        var line = Assert.Single(strict.ErrorLines);
        Assert.Contains("pve1", line, StringComparison.Ordinal);
        Assert.DoesNotContain("pve2 (", line, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(GuardRun.CpuInfo("amd-epyc-7301-zen1.txt")), File.ReadAllBytes(Path.Combine(folder, "nodes", "pve2", "cpuinfo")));
        Assert.False(File.Exists(Path.Combine(folder, "nodes", "pve1", "cpuinfo")));
        Assert.False(Directory.Exists(Path.Combine(folder, "priv")));
        Assert.Equal(
            Directory.EnumerateFiles(Path.Combine(GuardRun.Lab, "nodes"), "*.conf", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(GuardRun.Lab, f)).Order(),
            Directory.EnumerateFiles(Path.Combine(folder, "nodes"), "*.conf", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order());
    }

    [Fact]
    public void A_folder_that_is_not_empty_is_refused_with_one_line()
    {
        var folder = Path.Combine(Dir, "used");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "keep.txt"), "mine");

        var result = GuardRun.Run("snapshot", "--from", GuardRun.Lab, "--out", folder);

        Assert.Equal(64, result.Exit);
        Assert.Contains("not empty", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(["keep.txt"], Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("/proc/proxclmc-guard-snapshot")]
    [InlineData("under-a-file")]
    public void An_out_folder_that_cannot_be_created_is_a_usage_error_naming_it(string where)
    {
        var blocker = Path.Combine(Dir, "a-file");
        File.WriteAllText(blocker, "mine");
        var folder = where.StartsWith('/') ? where : Path.Combine(blocker, "snapshot");

        var result = GuardRun.Run("snapshot", "--from", GuardRun.Lab, "--out", folder);

        Assert.Equal(64, result.Exit);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"proxclmc-guard: --out {folder}: cannot write there (", line, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"[A-Za-z]+_[A-Za-z]+|Exception", line);
        Assert.Equal("mine", File.ReadAllText(blocker));
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void A_source_that_cannot_be_read_leaves_no_folder_behind()
    {
        var folder = Path.Combine(Dir, "never");
        var empty = Path.Combine(Dir, "empty");
        Directory.CreateDirectory(empty, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var missing = GuardRun.Run("snapshot", "--from", "/nonexistent", "--out", folder);
        var intoEmpty = GuardRun.Run("snapshot", "--from", "/nonexistent", "--out", empty);

        Assert.Equal(3, missing.Exit);
        Assert.Contains("/nonexistent: no such directory", Assert.Single(missing.ErrorLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder));
        Assert.Equal(3, intoEmpty.Exit);
        Assert.Empty(Directory.EnumerateFileSystemEntries(empty)); // the administrator's own folder stays, empty
    }

    [Fact]
    public void Without_out_the_command_line_is_a_usage_error()
    {
        var result = GuardRun.Run("snapshot", "--from", GuardRun.Lab);

        Assert.Equal(64, result.Exit);
    }

    [Fact]
    public void A_node_name_that_would_leave_the_folder_is_refused_and_nothing_is_written_outside()
    {
        var tree = CorpusTree.Of(Corpus.TestData("ProxClmc.Guard.Cli.Tests", "Snapshot", "Fixtures", "escaping-node-name"));
        var folder = Path.Combine(Dir, "out", "snap");

        var result = GuardRun.Run("snapshot", "--from", tree, "--out", folder);

        Assert.Equal(3, result.Exit);
        Assert.Contains("../../escaped", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Dir, "escaped")));
        Assert.Equal(["snap"], Directory.EnumerateFileSystemEntries(Path.Combine(Dir, "out")).Select(Path.GetFileName));
        Assert.True(File.Exists(Path.Combine(folder, "nodes", "pve1", "cpuinfo")));
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")));
        Assert.Equal("../../escaped", Assert.Single(manifest.RootElement.GetProperty("failedNodes").EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public void A_snapshot_through_the_api_gives_the_live_api_verdicts()
    {
        var config = Path.Combine(Dir, "api.toml");
        File.WriteAllText(config, $"""
            [api]
            url = "{Pve.Url}"
            token_id = "{FakeProxmox.TokenId}"
            token_secret_file = "{Pve.TokenFile}"
            ca_file = "{Pve.CaCertificatePath}"
            timeout_seconds = {ServerTimeouts.AnswerSeconds}

            [facts]
            source = "api"
            cache_file = "{Dir}/facts-cache.json"
            """);
        var folder = Path.Combine(Dir, "from-api");

        var snapshot = GuardRun.Run("snapshot", "--config", config, "--out", folder);
        var live = GuardRun.Run("scan", "--config", config, "--format", "json");
        var offline = GuardRun.Run("scan", "--from", folder, "--format", "json");

        Assert.True(snapshot.Exit == 0, snapshot.ToString());
        Assert.True(live.Exit == 2, live.ToString());
        Assert.Equal(live.Exit, offline.Exit);
        var verdicts = ReportJson.Verdicts(live.Out, "phys-bits-host");
        Assert.Equal(25, verdicts.Count);
        Assert.Equal(verdicts, ReportJson.Verdicts(offline.Out, "phys-bits-host"));
        Assert.Equal(ReportJson.NodeRows(live.Out), ReportJson.NodeRows(offline.Out));

        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")));
        Assert.All(manifest.RootElement.GetProperty("nodes").EnumerateArray(), n =>
        {
            Assert.Equal("api", n.GetProperty("cpuinfoSource").GetString());
            Assert.True(n.GetProperty("cpuinfoSynthesized").GetBoolean());
        });
        Assert.Contains("synthesized", manifest.RootElement.GetProperty("note").GetString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder, "nodes", "pve2", "lxc", "200.conf")));
    }
}
