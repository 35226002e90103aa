using System.Diagnostics;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Docs;

/// <summary>
/// The README's test command, tools/test.sh, installs what the tests need through tools/test-deps.sh. As root on a
/// machine without sudo (a Proxmox node, a Debian container) it must run apt-get itself. The test runs the real script
/// as root with a PATH that has neither sudo nor the tools it checks for; apt-get there only records its arguments,
/// so nothing is installed.
/// </summary>
public sealed class TestCommandTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void The_readme_runs_tools_test_sh_which_installs_its_dependencies_through_test_deps_sh()
    {
        var readme = File.ReadAllText(RepoPaths.Combine("README.md"));
        var testScript = File.ReadAllText(RepoPaths.Combine("tools", "test.sh"));

        Assert.Contains("\ntools/test.sh\n", readme, StringComparison.Ordinal);
        Assert.Contains("\ntools/test-deps.sh\n", testScript, StringComparison.Ordinal);
        Assert.DoesNotContain("sudo", testScript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task As_root_without_sudo_the_dependencies_are_installed_with_apt_get_itself()
    {
        Assert.Equal("0", LocalUser.Run("id", "-u").Trim()); // the suite runs as root, like the tool on a node
        var bin = _tree.PathOf("bin");
        Directory.CreateDirectory(bin);
        var log = _tree.PathOf("apt-get.log");
        File.CreateSymbolicLink(Path.Combine(bin, "id"), "/usr/bin/id");
        File.WriteAllText(Path.Combine(bin, "apt-get"), $"#!/bin/sh\necho \"$DEBIAN_FRONTEND $*\" >> '{log}'\n");
        File.SetUnixFileMode(Path.Combine(bin, "apt-get"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var start = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(RepoPaths.Combine("tools", "test-deps.sh"));
        start.Environment.Clear();
        start.Environment["PATH"] = bin;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, stderr);
        Assert.Equal("", stderr);
        Assert.StartsWith("Installing test dependencies: ", await stdout, StringComparison.Ordinal);
        var calls = File.ReadAllLines(log);
        Assert.Equal(2, calls.Length);
        Assert.Equal(" update -qq", calls[0]);
        Assert.StartsWith("noninteractive install -y -qq --no-install-recommends ", calls[1], StringComparison.Ordinal);
        var packages = calls[1].Split(' ').Skip(5).ToList();
        Assert.Subset(packages.ToHashSet(), new HashSet<string> { "openssh-client", "passwd", "util-linux", "qemu-system-x86" });
    }
}
