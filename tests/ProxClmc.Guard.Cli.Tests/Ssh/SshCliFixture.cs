using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;
using ProxClmc.Guard.Testing.Ssh;

namespace ProxClmc.Guard.Cli.Tests.Ssh;

/// <summary>
/// Four real sshd nodes (pve1..pve4, four different corpus CPUs, each answering after 200 ms) and an /etc/pve-like
/// tree with the lab cluster's guest configs under the same node names. Every run reads every node over SSH:
/// the configured local node is not a member.
/// </summary>
public sealed class SshCliFixture : IAsyncLifetime
{
    public SshFixture Ssh { get; private set; } = null!;

    public string Directory { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var specs = SshClusterFixture.CpuInfoFiles.Select((f, i) => new FakeSshNodeSpec($"pve{i + 1}", GuardRun.CpuInfo(f)) { DelaySeconds = 0.2 }).ToList();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        Ssh = await SshFixture.StartAsync(specs, cts.Token);
        Directory = System.IO.Directory.CreateTempSubdirectory("proxclmc-ssh-cli-").FullName;
    }

    public async Task DisposeAsync()
    {
        await Ssh.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>A fresh /etc/pve-like tree: corosync.conf of the fixture, the lab cluster's VM and container configs, cpu-models.conf.</summary>
    public string PveTree(IReadOnlyCollection<string>? deadRing0 = null)
    {
        var root = NewFolder("pve");
        System.IO.Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "corosync.conf"), Ssh.CorosyncConf(deadRing0));
        foreach (var file in System.IO.Directory.EnumerateFiles(Path.Combine(RepoPaths.LabCluster, "nodes"), "*.conf", SearchOption.AllDirectories))
        {
            var target = Path.Combine(root, "nodes", Path.GetRelativePath(Path.Combine(RepoPaths.LabCluster, "nodes"), file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        System.IO.Directory.CreateDirectory(Path.Combine(root, "virtual-guest"));
        File.Copy(Path.Combine(RepoPaths.LabCluster, "virtual-guest", "cpu-models.conf"), Path.Combine(root, "virtual-guest", "cpu-models.conf"));
        return root;
    }

    /// <summary>A config reading the tree's corosync.conf and guests, and every node over SSH with the fixture's keys.</summary>
    public string Config(string pveRoot, string? knownHosts = null)
    {
        var path = Path.Combine(Directory, $"guard-{Guid.NewGuid():N}.toml");
        File.WriteAllText(path, $"""
            [cluster]
            corosync_conf = "{pveRoot}/corosync.conf"
            pve_root = "{pveRoot}"
            local_node = "not-a-member"

            [facts]
            source = "ssh"
            cache_file = "{Directory}/facts-cache-{Guid.NewGuid():N}.json"

            [ssh]
            user = "root"
            port = {Ssh.Port}
            identity_file = "{Ssh.ClientKeyEd25519}"
            known_hosts = ["{knownHosts ?? Ssh.KnownHostsPlain}"]
            connect_timeout_seconds = {ServerTimeouts.AnswerSeconds}
            command_timeout_seconds = {ServerTimeouts.AnswerSeconds}
            parallelism = 8
            """);
        return path;
    }

    public string NewFolder(string prefix) => Path.Combine(Directory, $"{prefix}-{Guid.NewGuid():N}");
}
