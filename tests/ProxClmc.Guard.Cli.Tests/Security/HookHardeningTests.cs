using System.Diagnostics;
using System.Net.Sockets;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Hook;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Security;

/// <summary>
/// The hookscript runs as root in every VM start. Each test performs an attack or a failure an audit found and
/// shows the answer: the documented exit code and one line saying why.
/// </summary>
public sealed class HookHardeningTests : IDisposable
{
    private const string Target = "pve-haswell";
    private const string Source = "pve-skylake";
    private static readonly string HaswellCpuInfo = GuardRun.CpuInfo("intel-xeon-e5-2680v3-haswell.txt");

    private readonly TempTree _tree = new();

    public HookHardeningTests()
    {
        _tree.CopyFile(GuardRun.Fixture("hook", "skylake-server-ibrs.conf"), "pve", "nodes", Target, "qemu-server", "105.conf");
        _tree.CopyFile(GuardRun.Fixture("hook", "kvm64-default.conf"), "pve", "nodes", Target, "qemu-server", "100.conf");
        Directory.CreateDirectory(_tree.PathOf("pve", "nodes", Source, "qemu-server"));
    }

    public void Dispose() => _tree.Dispose();

    private string Marker => _tree.PathOf("chain-ran");

    private string Config(string extra = "") => _tree.Write(
        $"[cluster]\npve_root = \"{_tree.PathOf("pve")}\"\nlocal_node = \"{Target}\"\n\n[facts]\nlocal_cpuinfo = \"{HaswellCpuInfo}\"\n{extra}",
        "proxclmc-guard.toml");

    private static CliResult Hook(int vmid, string? migratedFrom, string config, params string[] extra)
    {
        var environment = new Dictionary<string, string>();
        if (migratedFrom is not null)
        {
            environment["PVE_MIGRATED_FROM"] = migratedFrom;
        }

        return GuardRun.RunWith(environment, ["hook", vmid.ToString(System.Globalization.CultureInfo.InvariantCulture), "pre-start", "--config", config, .. extra]);
    }

    /// <summary>A directory storage "scripts" in storage.cfg whose snippets hold the VM's previous hookscript.</summary>
    private string ChainScript(UnixFileMode? mode = null)
    {
        _tree.Write($"dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\ndir: scripts\n\tpath {_tree.PathOf("store")}\n\tcontent snippets\n", "pve", "storage.cfg");
        var script = _tree.Write($"#!/bin/sh\necho \"$1 $2\" > {Marker}\nexit 7\n", "store", "snippets", "old-hook.sh");
        File.SetUnixFileMode(script, mode ?? (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute));
        return script;
    }

    [Fact]
    public void A_chain_snippet_volume_runs_the_file_of_its_storage_whatever_the_working_directory()
    {
        ChainScript();

        var result = Hook(100, Source, Config("\n[hook]\nchain = \"scripts:snippets/old-hook.sh\"\n"));

        Assert.True(result.Exit == 7, result.ToString());
        Assert.Equal("100 pre-start\n", File.ReadAllText(Marker));
    }

    [Fact]
    public void A_chain_script_others_can_write_is_never_run_and_allowed_by_default_with_one_line()
    {
        ChainScript(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);

        var result = Hook(100, Source, Config("\n[hook]\nchain = \"scripts:snippets/old-hook.sh\"\n"));

        Assert.True(result.Exit == 0, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("proxclmc-guard: the hook failed, allowing the start: hook.chain scripts:snippets/old-hook.sh: ", line, StringComparison.Ordinal);
        Assert.Contains($"{_tree.PathOf("store", "snippets", "old-hook.sh")} is writable by group or others (mode 0727)", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Marker), "the chained script ran");
    }

    [Fact]
    public void A_chain_script_owned_by_another_user_is_refused_with_78_under_fail_closed()
    {
        var script = ChainScript();
        using var user = LocalUser.Create();
        user.Owns(script);

        var result = Hook(100, Source, Config("\n[hook]\nfail_closed = true\nchain = \"scripts:snippets/old-hook.sh\"\n"));

        Assert.True(result.Exit == 78, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("proxclmc-guard: refusing the start: the hook failed: hook.chain scripts:snippets/old-hook.sh: ", line, StringComparison.Ordinal);
        Assert.Contains($"is owned by uid {user.Uid}, not root", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Marker), "the chained script ran");
    }

    [Fact]
    public void A_chain_in_a_folder_others_can_write_is_refused()
    {
        ChainScript();
        File.SetUnixFileMode(_tree.PathOf("store", "snippets"), (UnixFileMode)0x1FF);

        var result = Hook(100, Source, Config("\n[hook]\nfail_closed = true\nchain = \"scripts:snippets/old-hook.sh\"\n"));

        Assert.True(result.Exit == 78, result.ToString());
        Assert.Contains($"{_tree.PathOf("store", "snippets")} is writable by group or others (mode 0777)", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void A_chain_on_a_storage_without_a_path_is_a_configuration_error()
    {
        _tree.Write("lvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n", "pve", "storage.cfg");

        var result = Hook(100, Source, Config("\n[hook]\nfail_closed = true\nchain = \"local-lvm:snippets/old-hook.sh\"\n"));

        Assert.True(result.Exit == 78, result.ToString());
        Assert.Contains("storage 'local-lvm' is not a directory storage in", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "local", "/var/lib/vz/snippets/h.pl")]
    [InlineData("dir: local\n\tpath /srv/elsewhere\n", "local", "/var/lib/vz/snippets/h.pl")]
    [InlineData("dir: hooks\n\tpath /srv/hooks/\n\tcontent-dirs snippets=my/snips,iso=isos\n", "hooks", "/srv/hooks/my/snips/h.pl")]
    [InlineData("nfs: shared\n\tpath /mnt/pve/shared\n\tserver 10.0.0.5\n\texport /export\n\n# comment\ndir: other\n\tpath /x\n", "shared", "/mnt/pve/shared/snippets/h.pl")]
    [InlineData("dir: other\n\tpath /x\n", "missing", null)]
    public void Snippet_volumes_resolve_like_pve_storage(string storageCfg, string storage, string? expected) =>
        Assert.Equal(expected, HookChain.SnippetPath(storage, "h.pl", storageCfg));

    [Fact]
    public void A_typo_in_the_configuration_allows_the_start_with_one_line_by_default()
    {
        var result = Hook(105, Source, Config("\n[hook]\nblock_unsafe_strat = true\n"));

        Assert.True(result.Exit == 0, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("proxclmc-guard: the hook failed, allowing the start: ", line, StringComparison.Ordinal);
        Assert.Contains("block_unsafe_strat", line, StringComparison.Ordinal);
        Assert.EndsWith("(hook.fail_closed = false)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_typo_in_the_configuration_refuses_with_78_under_fail_closed()
    {
        var result = Hook(100, Source, Config("\n[hook]\nfail_closed = true  # strict\nblock_unsafe_strat = true\n"));

        Assert.True(result.Exit == 78, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("proxclmc-guard: refusing the start: the hook failed: ", line, StringComparison.Ordinal);
        Assert.EndsWith("(hook.fail_closed = true)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stalled_journald_cannot_turn_a_refusal_into_an_allow()
    {
        // A journal socket nobody reads, its queue full: a blocking send would wait, and used to push the decision
        // past its deadline, where "could not decide" allowed the unsafe migration.
        var socketPath = _tree.PathOf("journal.socket");
        using var journal = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        journal.Bind(new UnixDomainSocketEndPoint(socketPath));
        using (var filler = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false })
        {
            var datagram = new byte[4096];
            var sent = 0;
            try
            {
                while (sent < 100_000)
                {
                    filler.SendTo(datagram, new UnixDomainSocketEndPoint(socketPath));
                    sent++;
                }
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
            }

            Assert.True(sent < 100_000, "the journal socket never filled up");
        }

        var environment = new Dictionary<string, string> { ["PVE_MIGRATED_FROM"] = Source, ["PROXCLMC_GUARD_JOURNAL_SOCKET"] = socketPath };
        var result = GuardRun.RunWith(environment, "hook", "105", "pre-start", "--config", Config(), "--log-target", "journal");

        Assert.True(result.Exit == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"proxclmc-guard: refusing migration of VM 105 from {Source} to {Target}: lacks ", line, StringComparison.Ordinal);
    }

    // --- the shell snippet Proxmox runs (contrib/hookscript/proxclmc-guard-hook) ---------------------------------

    private (int Exit, string Error) RunSnippet(string binary, string? config = null)
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "contrib", "hookscript", "proxclmc-guard-hook"))
            .Replace("BIN=/usr/bin/proxclmc-guard", $"BIN={binary}", StringComparison.Ordinal)
            .Replace("CONF=/etc/proxclmc-guard/proxclmc-guard.toml", $"CONF={config ?? _tree.PathOf("none.toml")}", StringComparison.Ordinal);
        var snippet = _tree.Write(text, "snippets", "proxclmc-guard-hook");
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { snippet, "105", "pre-start" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PVE_MIGRATED_FROM"] = Source;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error);
    }

    private string CrashingBinary()
    {
        var path = _tree.Write("#!/bin/sh\nkill -SEGV $$\n", "bin", "proxclmc-guard");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Fact]
    public void After_the_package_is_removed_the_attached_snippet_allows_the_start_with_one_line()
    {
        var (exit, error) = RunSnippet(_tree.PathOf("removed", "proxclmc-guard"));

        Assert.Equal(0, exit);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("proxclmc-guard-hook: VM 105 pre-start: ", line, StringComparison.Ordinal);
        Assert.Contains("is not installed; allowing", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_crash_of_the_binary_allows_by_default_and_refuses_under_fail_closed()
    {
        var binary = CrashingBinary();

        var (allowed, allowLine) = RunSnippet(binary, _tree.Write("[hook]\nfail_closed = false\n", "open.toml"));
        var (refused, refuseLine) = RunSnippet(binary, _tree.Write("[facts]\nsource = \"local\"\n\n[hook]\nfail_closed = true\n", "closed.toml"));

        Assert.Equal(0, allowed);
        Assert.Contains("ended by signal 11; allowing the start (hook.fail_closed = false)", allowLine, StringComparison.Ordinal);
        Assert.Equal(139, refused);
        Assert.Contains("ended by signal 11; refusing the start (hook.fail_closed = true)", refuseLine, StringComparison.Ordinal);
    }

    [Fact]
    public void Fail_closed_is_read_from_a_configuration_that_does_not_load()
    {
        Assert.True(HookFailurePolicy.ProbeFailClosed(_tree.Write("[hook]\nfail_closed = true\nchian = 1\n", "broken.toml")));
        Assert.False(HookFailurePolicy.ProbeFailClosed(_tree.Write("[report]\nfail_closed = true\n", "other-section.toml")));
        Assert.False(HookFailurePolicy.ProbeFailClosed(_tree.PathOf("missing.toml")));
    }

    [Theory]
    [InlineData("hook.fail_closed = true\n", 1, 6)]
    [InlineData("[hook]\n\"fail_closed\" = true\n", 2, 2)]
    [InlineData("hook = { fail_closed = true }\n", 1, 10)]
    public void Fail_closed_has_one_spelling_so_the_loader_the_fallback_and_the_hookscript_agree(string spelling, int line, int column)
    {
        var config = _tree.Write(
            $"{spelling}\n[cluster]\npve_root = \"{_tree.PathOf("pve")}\"\nlocal_node = \"{Target}\"\n\n[facts]\nlocal_cpuinfo = \"{HaswellCpuInfo}\"\n",
            "proxclmc-guard.toml");

        var scan = GuardRun.Run("baseline", "--from", GuardRun.Lab, "--config", config);
        Assert.True(scan.Exit == 78, scan.ToString());
        Assert.Equal(
            $"proxclmc-guard: {config}:{line}:{column}: write hook.fail_closed as 'fail_closed = true' (or false) on its own line under [hook]; the hookscript's fallbacks read only that form",
            Assert.Single(scan.ErrorLines));

        // The hook, its fallback and the shell wrapper now all read this file as fail_closed = false.
        var hook = Hook(100, Source, config);
        Assert.True(hook.Exit == 0, hook.ToString());
        Assert.EndsWith("(hook.fail_closed = false)", Assert.Single(hook.ErrorLines), StringComparison.Ordinal);
    }
}
