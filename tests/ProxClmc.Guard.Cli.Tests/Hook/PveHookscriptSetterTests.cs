using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Hook;

namespace ProxClmc.Guard.Cli.Tests.Hook;

/// <summary>
/// The processes behind <c>hook attach</c>, run for real with stand-in <c>qm</c> and <c>pvesh</c> scripts: output
/// larger than a pipe holds, a program that never finishes, failures and the arguments each node gets.
/// </summary>
public sealed class PveHookscriptSetterTests : IDisposable
{
    private readonly TempTree _bin = new();

    public void Dispose() => _bin.Dispose();

    private string Script(string name, string body)
    {
        var path = _bin.Write("#!/bin/sh\n" + body + "\n", name);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Fact]
    public async Task Megabytes_on_both_streams_do_not_block_the_child_and_are_kept_bounded()
    {
        // 2 MiB on stdout and stderr each: far beyond a pipe's 64 KiB, so a reader of one stream only would deadlock.
        var qm = Script("qm", "head -c 2097152 /dev/zero | tr '\\0' 'o'; head -c 2097152 /dev/zero | tr '\\0' 'e' >&2; exit 0");

        var outcome = await BoundedProcess.RunAsync(qm, [], TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(BoundedProcess.DefaultMaxChars, outcome.StandardOutput.Length);
        Assert.Equal(BoundedProcess.DefaultMaxChars, outcome.StandardError.Length);
    }

    [Fact]
    public async Task A_program_that_never_finishes_is_stopped_and_reported()
    {
        var qm = Script("qm", "echo started; exec sleep 600");
        var setter = new PveHookscriptSetter("pve1", qm: qm, timeout: TimeSpan.FromSeconds(1));

        var (ok, message) = await setter.SetAsync("pve1", 100, "local:snippets/proxclmc-guard-hook", CancellationToken.None);

        Assert.False(ok);
        Assert.Equal($"{qm} did not finish in time and was stopped", message);
    }

    [Fact]
    public async Task Local_VMs_go_through_qm_and_other_nodes_VMs_through_pvesh_with_fixed_arguments()
    {
        var log = _bin.PathOf("calls");
        var qm = Script("qm", $"echo \"qm $*\" >> {log}");
        var pvesh = Script("pvesh", $"echo \"pvesh $*\" >> {log}");
        var setter = new PveHookscriptSetter("pve1", qm: qm, pvesh: pvesh);

        Assert.Equal((true, "attached"), await setter.SetAsync("pve1", 100, "local:snippets/proxclmc-guard-hook", CancellationToken.None));
        Assert.Equal((true, "attached"), await setter.SetAsync("pve3", 107, "local:snippets/proxclmc-guard-hook", CancellationToken.None));
        var (bad, badMessage) = await setter.SetAsync("pve3; reboot", 107, "local:snippets/proxclmc-guard-hook", CancellationToken.None);

        Assert.Equal(
            ["qm set 100 --hookscript local:snippets/proxclmc-guard-hook", "pvesh set /nodes/pve3/qemu/107/config --hookscript local:snippets/proxclmc-guard-hook"],
            File.ReadAllLines(log));
        Assert.False(bad);
        Assert.Equal("node name 'pve3; reboot' is not one Proxmox allows", badMessage);
    }

    [Fact]
    public async Task A_refusal_reports_the_exit_code_and_the_first_line_of_stderr()
    {
        var qm = Script("qm", "echo \"400 Parameter verification failed.\" >&2; echo \"hookscript: volume not found\" >&2; exit 25");
        var setter = new PveHookscriptSetter("pve1", qm: qm);

        var (ok, message) = await setter.SetAsync("pve1", 100, "local:snippets/proxclmc-guard-hook", CancellationToken.None);

        Assert.False(ok);
        Assert.Equal($"{qm} exited with 25: 400 Parameter verification failed.", message);
    }

    [Fact]
    public async Task Snippet_listings_come_from_pvesh_per_node_and_a_missing_program_is_said_plainly()
    {
        var pvesh = Script("pvesh", """
            case "$2" in
              /nodes/pve1/storage/local/content) echo '[{"volid":"local:snippets/proxclmc-guard-hook","content":"snippets"},{"volid":"local:snippets/x.pl"}]' ;;
              *) echo "storage 'local' is not available on node 'pve9'" >&2; exit 255 ;;
            esac
            """);
        var setter = new PveHookscriptSetter("pve1", pvesh: pvesh);

        var pve1 = await setter.ListSnippetsAsync("pve1", "local", CancellationToken.None);
        var pve9 = await setter.ListSnippetsAsync("pve9", "local", CancellationToken.None);
        var none = await new PveHookscriptSetter("pve1", pvesh: _bin.PathOf("no-pvesh")).ListSnippetsAsync("pve1", "local", CancellationToken.None);

        Assert.Equal(["local:snippets/proxclmc-guard-hook", "local:snippets/x.pl"], pve1.Volumes);
        Assert.Equal($"{pvesh} exited with 255: storage 'local' is not available on node 'pve9'", pve9.Error);
        Assert.Equal($"{_bin.PathOf("no-pvesh")}: not found (run this on a Proxmox VE node)", none.Error);
    }
}
