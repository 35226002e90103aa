using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Composition;

namespace ProxClmc.Guard.Cli.Tests.Security;

/// <summary>Plans and undo records hold VM configs: root only, whatever the umask, and never written through a planted symlink.</summary>
public sealed class FixStoreHardeningTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private static FixUndoRecord Record() => new() { VmId = 100, Node = "pve1", OldCpu = "host", NewCpu = "x86-64-v2-AES", Time = GuardRun.Now };

    [Fact]
    public void An_undo_file_planted_as_a_symlink_is_refused_and_its_target_untouched()
    {
        var secret = _tree.Write("root only\n", "root-only", "shadow");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var store = new FileFixStore(_tree.PathOf("undo"));
        Directory.CreateDirectory(store.Location);
        File.CreateSymbolicLink(store.UndoPath("20261123-120000-abcd"), secret);

        var e = Assert.ThrowsAny<IOException>(() => store.AppendUndo("20261123-120000-abcd", Record()));

        Assert.Contains("is a symbolic link; refusing to follow it", e.Message, StringComparison.Ordinal);
        Assert.Equal("root only\n", File.ReadAllText(secret));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));
    }

    [Fact]
    public void The_undo_folder_is_0700()
    {
        var store = new FileFixStore(_tree.PathOf("state", "undo"));

        store.AppendUndo("20261123-120000-abcd", Record());

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.Location));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.UndoPath("20261123-120000-abcd")));
    }
}
