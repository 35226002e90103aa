namespace ProxClmc.Guard.Testing.Ssh;

/// <summary>A fixture cluster shared by the SSH tests: four healthy nodes, an IPv6 node, one that refuses our key, one that never answers.</summary>
public sealed class SshClusterFixture : IAsyncLifetime
{
    public static readonly string[] CpuInfoFiles =
    [
        "amd-epyc-7301-zen1.txt",
        "intel-xeon-e5-2650v2-ivybridge.txt",
        "intel-core-i7-4500u-haswell.txt",
        "amd-ryzen9-5950x-zen3.txt",
    ];

    public SshFixture Ssh { get; private set; } = null!;

    public static string CpuInfo(string file) => Corpus.CpuInfo(file);

    public async Task InitializeAsync()
    {
        var specs = CpuInfoFiles.Select((f, i) => new FakeSshNodeSpec($"pve{i + 1}", CpuInfo(f))).ToList();
        specs.Add(new FakeSshNodeSpec("pve-v6", CpuInfo(CpuInfoFiles[0])) { Ipv6 = true, RsaHostKey = false });
        specs.Add(new FakeSshNodeSpec("pve-nokey", CpuInfo(CpuInfoFiles[1])) { AuthorizesClient = false, RsaHostKey = false });
        specs.Add(new FakeSshNodeSpec("pve-slow", CpuInfo(CpuInfoFiles[2])) { NeverAnswers = true, RsaHostKey = false });
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        Ssh = await SshFixture.StartAsync(specs, cts.Token);
    }

    public async Task DisposeAsync() => await Ssh.DisposeAsync();
}
