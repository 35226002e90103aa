using NSubstitute;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Hook;

namespace ProxClmc.Guard.Cli.Tests.Hook;

/// <summary><c>hook attach</c>: installs the snippet and sets it on VMs without a hookscript; VMs with one are told about hook.chain.</summary>
public sealed class HookAttachTests
{
    [Fact]
    public async Task Attach_all_sets_the_snippet_on_vms_without_a_hookscript_and_explains_chain_for_the_others()
    {
        using var tree = new TempTree().CopyFrom(GuardRun.Lab);
        var conf = tree.PathOf("nodes", "pve1", "qemu-server", "101.conf");
        File.AppendAllText(conf, "hookscript: local:snippets/backup-notify.sh\n");
        var script = tree.Write("#!/bin/sh\nexec /usr/bin/proxclmc-guard hook \"$1\" \"$2\"\n", "share", "proxclmc-guard-hook");
        var snippets = tree.PathOf("snippets");
        var setter = Substitute.For<IHookscriptSetter>();
        setter.SetAsync(Arg.Any<int>(), Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns((true, "attached"));
        var output = new StringWriter();
        var error = new StringWriter();
        var cli = new GuardCli(new CliEnvironment { Out = output, Error = error, HostName = () => "testhost" }, hookscriptSetter: () => setter);

        var exit = await cli.InvokeAsync(["hook", "attach", "--all", "--from", tree.Root, "--script", script, "--snippets-dir", snippets]);

        Assert.True(exit == 0, output + "\n" + error);
        Assert.True(File.Exists(Path.Combine(snippets, "proxclmc-guard-hook")));
        Assert.True(File.GetUnixFileMode(Path.Combine(snippets, "proxclmc-guard-hook")).HasFlag(UnixFileMode.UserExecute));
        await setter.Received(1).SetAsync(100, "local:snippets/proxclmc-guard-hook", Arg.Any<CancellationToken>());
        await setter.DidNotReceive().SetAsync(101, Arg.Any<string>(), Arg.Any<CancellationToken>());
        await setter.DidNotReceive().SetAsync(200, Arg.Any<string>(), Arg.Any<CancellationToken>());
        Assert.Equal(23, setter.ReceivedCalls().Count()); // 24 VMs in the lab cluster, one of which already has a hookscript
        Assert.Contains("has hookscript local:snippets/backup-notify.sh: keep it and chain it with [hook] chain", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("To detach: qm set <vmid> --delete hookscript", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(Path.Combine(snippets, "proxclmc-guard-hook")));
    }

    [Fact]
    public void Attach_without_a_selection_is_a_usage_error()
    {
        var result = GuardRun.Run("hook", "attach", "--from", GuardRun.Lab);

        Assert.Equal(64, result.Exit);
        Assert.Contains("--vmid", result.Error, StringComparison.Ordinal);
    }
}
