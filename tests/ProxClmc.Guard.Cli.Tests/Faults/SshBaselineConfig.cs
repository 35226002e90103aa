using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;
using ProxClmc.Guard.Testing.Ssh;

namespace ProxClmc.Guard.Cli.Tests.Faults;

/// <summary>The config the SSH fault tests run <c>baseline</c> with: the given corosync.conf, every node over SSH with the fixture's ed25519 key, no /etc/pve.</summary>
internal static class SshBaselineConfig
{
    public static string Write(TempTree tree, SshFixture ssh, string corosync, string cache, string knownHosts) => tree.Write($"""
        [cluster]
        corosync_conf = "{corosync}"
        pve_root = "{tree.PathOf("no-pve")}"

        [facts]
        source = "ssh"
        cache_file = "{cache}"

        [ssh]
        user = "root"
        port = {ssh.Port}
        identity_file = "{ssh.ClientKeyEd25519}"
        known_hosts = ["{knownHosts}"]
        connect_timeout_seconds = {ServerTimeouts.AnswerSeconds}
        command_timeout_seconds = {ServerTimeouts.AnswerSeconds}
        """, "guard.toml");
}
