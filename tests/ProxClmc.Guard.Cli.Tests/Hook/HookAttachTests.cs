using NSubstitute;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Hook;

namespace ProxClmc.Guard.Cli.Tests.Hook;

/// <summary>
/// <c>hook attach</c>: installs the snippet and sets it on VMs without a hookscript, on every node (qm set here, pvesh
/// for the others), only where every node offers the snippet; VMs with a hookscript are told about hook.chain.
/// </summary>
public sealed class HookAttachTests : IDisposable
{
    private const string Volume = "local:snippets/proxclmc-guard-hook";
    private static readonly string[] LabNodes = ["pve1", "pve2", "pve3", "pve4"];
    private readonly TempTree _tree = new TempTree().CopyFrom(GuardRun.Lab);
    private readonly IHookscriptSetter _setter = Substitute.For<IHookscriptSetter>();
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();

    public HookAttachTests()
    {
        _setter.SetAsync(Arg.Any<string>(), Arg.Any<int>(), Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns((true, "attached"));
    }

    public void Dispose() => _tree.Dispose();

    private void SnippetOn(params string[] nodes)
    {
        foreach (var node in LabNodes)
        {
            _setter.ListSnippetsAsync(node, "local", Arg.Any<CancellationToken>())
                .Returns(new SnippetListing(nodes.Contains(node) ? [Volume, "local:snippets/other.sh"] : ["local:snippets/other.sh"], null));
        }
    }

    private async Task<int> Attach(params string[] args)
    {
        var config = _tree.Write($"""
            [cluster]
            pve_root = "{_tree.Root}"
            corosync_conf = "{_tree.PathOf("corosync.conf")}"
            local_node = "pve1"

            [facts]
            source = "local"
            cache_file = "{_tree.PathOf("facts-cache.json")}"
            """, "proxclmc-guard.toml");
        var script = _tree.Write("#!/bin/sh\nexec /usr/bin/proxclmc-guard hook \"$1\" \"$2\"\n", "share", "proxclmc-guard-hook");

        // The snippets folder exists, as Proxmox creates it when the storage offers snippets (unless a test put a file there).
        if (!File.Exists(_tree.PathOf("snippets")))
        {
            Directory.CreateDirectory(_tree.PathOf("snippets"));
        }

        var cli = new GuardCli(new CliEnvironment { Out = _out, Error = _error, HostName = () => "testhost" }, hookscriptSetter: node => node == "pve1" ? _setter : throw new InvalidOperationException(node));
        return await cli.InvokeAsync(["hook", "attach", "--config", config, "--script", script, "--snippets-dir", _tree.PathOf("snippets"), .. args]);
    }

    [Fact]
    public async Task A_snippets_dir_that_cannot_be_written_is_a_usage_error_naming_it_and_no_VM_is_touched()
    {
        SnippetOn(LabNodes);
        var blocker = _tree.Write("not a folder", "snippets");

        var exit = await Attach("--all");

        Assert.Equal(64, exit);
        Assert.StartsWith($"proxclmc-guard: --snippets-dir {blocker}: cannot write there (", _error.ToString().Trim(), StringComparison.Ordinal);
        Assert.Single(_error.ToString().Trim().Split('\n'));
        Assert.Equal("not a folder", File.ReadAllText(blocker));
        Assert.Empty(_setter.ReceivedCalls());
    }

    [Fact]
    public async Task Attach_all_sets_the_snippet_on_every_nodes_vms_without_a_hookscript_and_explains_chain_for_the_others()
    {
        File.AppendAllText(_tree.PathOf("nodes", "pve1", "qemu-server", "101.conf"), "hookscript: local:snippets/backup-notify.sh\n");
        SnippetOn(LabNodes);

        var exit = await Attach("--all");

        Assert.True(exit == 0, _out + "\n" + _error);
        var installed = _tree.PathOf("snippets", "proxclmc-guard-hook");
        Assert.True(File.GetUnixFileMode(installed).HasFlag(UnixFileMode.UserExecute));
        await _setter.Received(1).SetAsync("pve1", 100, Volume, Arg.Any<CancellationToken>());
        await _setter.Received(1).SetAsync("pve2", 103, Volume, Arg.Any<CancellationToken>()); // another node's VM: through pvesh
        await _setter.DidNotReceive().SetAsync(Arg.Any<string>(), 101, Arg.Any<string>(), Arg.Any<CancellationToken>());
        await _setter.DidNotReceive().SetAsync(Arg.Any<string>(), 200, Arg.Any<string>(), Arg.Any<CancellationToken>()); // a container
        Assert.Equal(23, _setter.ReceivedCalls().Count(c => c.GetMethodInfo().Name == nameof(IHookscriptSetter.SetAsync)));
        foreach (var node in LabNodes)
        {
            await _setter.Received(1).ListSnippetsAsync(node, "local", Arg.Any<CancellationToken>());
        }

        Assert.Contains("has hookscript local:snippets/backup-notify.sh: keep it and chain it with [hook] chain", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("To detach: qm set <vmid> --delete hookscript", _out.ToString(), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(installed));
    }

    [Fact]
    public async Task A_node_without_the_snippet_means_no_VM_is_attached_and_each_is_named_with_the_reason()
    {
        SnippetOn("pve1", "pve2", "pve4");

        var exit = await Attach("--vmid", "100", "--vmid", "103");

        Assert.Equal(2, exit);
        await _setter.DidNotReceive().SetAsync(Arg.Any<string>(), Arg.Any<int>(), Arg.Any<string>(), Arg.Any<CancellationToken>());
        var text = _out.ToString();
        Assert.Contains($"{Volume} is not available on pve3: a VM with it could not start there.", text, StringComparison.Ordinal);
        Assert.Matches(@"100\s+pve1\s+NOT attached: the snippet is missing on pve3", text);
        Assert.Matches(@"103\s+pve2\s+NOT attached: the snippet is missing on pve3", text);
        Assert.Equal($"proxclmc-guard: 2 VMs not attached: {Volume} is missing on pve3\n", _error.ToString());
    }

    [Fact]
    public async Task A_node_that_cannot_be_asked_means_no_VM_is_attached_and_exit_3_said_once()
    {
        SnippetOn(LabNodes);
        _setter.ListSnippetsAsync("pve4", "local", Arg.Any<CancellationToken>()).Returns(new SnippetListing(null, "/usr/bin/pvesh exited with 255: hostname lookup 'pve4' failed"));

        var exit = await Attach("--vmid", "100");

        Assert.Equal(3, exit);
        await _setter.DidNotReceive().SetAsync(Arg.Any<string>(), Arg.Any<int>(), Arg.Any<string>(), Arg.Any<CancellationToken>());
        Assert.DoesNotContain("pve4", _out.ToString(), StringComparison.Ordinal);
        Assert.Equal($"proxclmc-guard: cannot tell whether {Volume} is available on pve4 (/usr/bin/pvesh exited with 255: hostname lookup 'pve4' failed); no VM attached\n", _error.ToString());
    }

    [Fact]
    public void Attach_from_a_snapshot_is_a_usage_error()
    {
        var result = GuardRun.Run("hook", "attach", "--all", "--from", GuardRun.Lab);

        Assert.Equal(64, result.Exit);
        Assert.Equal("proxclmc-guard: hook attach changes the live cluster's VMs; it cannot be combined with --from\n", result.Error);
    }

    [Fact]
    public async Task Attach_without_a_selection_is_a_usage_error()
    {
        var exit = await Attach();

        Assert.Equal(64, exit);
        Assert.Contains("--vmid", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attach_with_a_format_it_cannot_print_is_a_usage_error_and_touches_nothing()
    {
        SnippetOn(LabNodes);

        var exit = await Attach("--all", "--format", "json");

        Assert.Equal(64, exit);
        Assert.Equal("proxclmc-guard: hook attach prints a table only; --format json and prometheus are not available for it\n", _error.ToString());
        Assert.Empty(_out.ToString());
        Assert.False(File.Exists(_tree.PathOf("snippets", "proxclmc-guard-hook")));
        Assert.Empty(_setter.ReceivedCalls());
    }
}
