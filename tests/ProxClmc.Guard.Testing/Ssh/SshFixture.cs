using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using ProxClmc.Guard.Core.Cluster;

namespace ProxClmc.Guard.Testing.Ssh;

/// <summary>
/// Real OpenSSH servers (Debian's openssh-server, /usr/sbin/sshd), one per fake node, each on a loopback address of its own
/// with a port chosen by the fixture, serving one cpuinfo file through a forced command. Host keys and client keys are
/// generated at start (ssh-keygen); known_hosts files for the nodes are written in plain, hashed and by-name forms.
/// Must run as root. Disposing stops every sshd and deletes the temporary folder.
/// </summary>
public sealed class SshFixture : IAsyncDisposable
{
    public const string Sshd = "/usr/sbin/sshd";
    public const string SshKeygen = "/usr/bin/ssh-keygen";

    private static int _nextSubnet = RandomNumberGenerator.GetInt32(0, 200 * 250);
    private readonly List<FakeSshNode> _nodes = [];
    private readonly List<IDisposable> _extras = [];
    private readonly string _addressPrefix;
    private int _nextHost;
    private int _nextSpare;

    private SshFixture(string directory, string addressPrefix, int port)
    {
        Directory = directory;
        _addressPrefix = addressPrefix;
        Port = port;
    }

    public string Directory { get; }

    /// <summary>The port every node's sshd listens on (each node has its own address).</summary>
    public int Port { get; }

    public IReadOnlyList<FakeSshNode> Nodes => _nodes;

    public FakeSshNode this[string name] => _nodes.Single(n => n.Name == name);

    /// <summary>Authorized on every node: ed25519 in OpenSSH format.</summary>
    public string ClientKeyEd25519 => Path.Combine(Directory, "client", "id_ed25519");

    /// <summary>Authorized on every node: RSA in the old PEM format (<c>-----BEGIN RSA PRIVATE KEY-----</c>).</summary>
    public string ClientKeyRsaPem => Path.Combine(Directory, "client", "id_rsa_pem");

    /// <summary>Authorized on every node: RSA in OpenSSH format.</summary>
    public string ClientKeyRsaOpenSsh => Path.Combine(Directory, "client", "id_rsa");

    /// <summary>A valid key that no node authorizes.</summary>
    public string UnauthorizedClientKey => Path.Combine(Directory, "client", "id_ed25519_unauthorized");

    /// <summary>known_hosts with <c>[address]:port</c> entries (both host keys of every node).</summary>
    public string KnownHostsPlain => Path.Combine(Directory, "known_hosts");

    /// <summary>The same entries hashed (<c>|1|salt|hash</c>), as <c>HashKnownHosts yes</c> writes them.</summary>
    public string KnownHostsHashed => Path.Combine(Directory, "known_hosts_hashed");

    /// <summary>Entries by node name (<c>[node]:port</c>), as Proxmox's per-node ssh_known_hosts with HostKeyAlias.</summary>
    public string KnownHostsByName => Path.Combine(Directory, "known_hosts_by_name");

    /// <summary>Only the RSA keys, by address: what Proxmox's /etc/pve/priv/known_hosts holds.</summary>
    public string KnownHostsRsaOnly => Path.Combine(Directory, "known_hosts_rsa_only");

    /// <summary>The fixture nodes as corosync would list them (one link each, the node's address).</summary>
    public ClusterMembership Membership =>
        new("fixture", _nodes.Select((n, i) => new ClusterNode(n.Name, i + 1, [new NodeLink(0, n.Address)])).ToList());

    public static Task<SshFixture> StartAsync(IReadOnlyList<FakeSshNodeSpec> nodes, CancellationToken cancellationToken = default) =>
        StartAsync(nodes, 0, cancellationToken);

    /// <summary>
    /// Like <see cref="StartAsync(IReadOnlyList{FakeSshNodeSpec}, CancellationToken)"/> with every node's sshd on
    /// <paramref name="port"/> (0: a free port), for a client that can only connect to port 22.
    /// </summary>
    public static async Task<SshFixture> StartAsync(IReadOnlyList<FakeSshNodeSpec> nodes, int port, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(Sshd))
        {
            throw new InvalidOperationException($"{Sshd} is missing: install Debian's openssh-server (apt-get install -y openssh-server) to run the SSH tests");
        }

        if (!File.Exists(SshKeygen))
        {
            throw new InvalidOperationException($"{SshKeygen} is missing: install openssh-client");
        }

        System.IO.Directory.CreateDirectory("/run/sshd");
        var dir = Path.Combine(Path.GetTempPath(), "proxclmc-sshd-" + Guid.NewGuid().ToString("N")[..10]);
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "client"));

        var subnet = Interlocked.Increment(ref _nextSubnet);
        var prefix = $"127.{20 + subnet / 250 % 200}.{subnet % 250}.";
        var fixture = new SshFixture(dir, prefix, port > 0 ? port : FreePort(prefix + "2"));
        try
        {
            await fixture.CreateClientKeysAsync(cancellationToken);
            foreach (var spec in nodes)
            {
                fixture._nodes.Add(await fixture.StartNodeAsync(spec, cancellationToken));
            }

            fixture.WriteKnownHostsFiles();
            return fixture;
        }
        catch
        {
            await fixture.DisposeAsync();
            throw;
        }
    }

    /// <summary>A loopback address of this fixture where nothing listens (a dead ring address, a closed port).</summary>
    public string AllocateAddress() => _addressPrefix + (150 + Interlocked.Increment(ref _nextSpare));

    /// <summary>
    /// A server that accepts TCP connections and then never says a word (or only <paramref name="banner"/>, then stalls
    /// in key exchange), on a fresh address at <see cref="Port"/>.
    /// </summary>
    public string StartSilentServer(string? banner = null)
    {
        var address = AllocateAddress();
        var listener = new TcpListener(IPAddress.Parse(address), Port);
        listener.Start();
        var accepted = new List<TcpClient>();
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var client = await listener.AcceptTcpClientAsync();
                    accepted.Add(client);
                    if (banner is not null)
                    {
                        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(banner + "\r\n"));
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or InvalidOperationException)
            {
                // Stopped by DisposeAsync.
            }
        });
        _extras.Add(new Disposer(() =>
        {
            listener.Stop();
            foreach (var c in accepted.ToArray())
            {
                c.Dispose();
            }
        }));
        return address;
    }

    /// <summary>A proxy on a new address in front of <paramref name="node"/>'s sshd that tampers with what the server sends; returns its address.</summary>
    public string StartTamperingProxy(string node, SshTamper tamper)
    {
        var address = AllocateAddress();
        _extras.Add(new SshTamperingProxy(address, Port, this[node].Address, tamper));
        return address;
    }

    /// <summary>
    /// corosync.conf for the fixture cluster as Proxmox writes it; <paramref name="deadRing0"/> puts a dead address of the
    /// fixture in ring0 and the live one in ring1 for the named nodes.
    /// </summary>
    public string CorosyncConf(IReadOnlyCollection<string>? deadRing0 = null)
    {
        var sb = new StringBuilder()
            .Append("logging {\n  debug: off\n  to_syslog: yes\n}\n\nnodelist {\n");
        for (var i = 0; i < _nodes.Count; i++)
        {
            var n = _nodes[i];
            sb.Append($"  node {{\n    name: {n.Name}\n    nodeid: {i + 1}\n    quorum_votes: 1\n");
            if (deadRing0?.Contains(n.Name) == true)
            {
                sb.Append($"    ring0_addr: {AllocateAddress()}\n    ring1_addr: {n.Address}\n");
            }
            else
            {
                sb.Append($"    ring0_addr: {n.Address}\n");
            }

            sb.Append("  }\n");
        }

        return sb.Append("}\n\nquorum {\n  provider: corosync_votequorum\n}\n\ntotem {\n  cluster_name: fixture\n  config_version: 1\n")
            .Append("  interface {\n    linknumber: 0\n  }\n  ip_version: ipv4-6\n  link_mode: passive\n  secauth: on\n  version: 2\n}\n")
            .ToString();
    }

    /// <summary>
    /// Writes the offline snapshot of the same cluster (corosync.conf and nodes/&lt;node&gt;/cpuinfo, DESIGN.md's format) into
    /// <paramref name="directory"/>, so a run over SSH can be compared with a run <c>--from</c> the snapshot.
    /// </summary>
    public void WriteSnapshot(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "corosync.conf"), CorosyncConf());
        foreach (var n in _nodes)
        {
            var nodeDir = Path.Combine(directory, "nodes", n.Name);
            System.IO.Directory.CreateDirectory(nodeDir);
            File.Copy(n.Spec.CpuInfoFile, Path.Combine(nodeDir, "cpuinfo"), overwrite: true);
        }
    }

    /// <summary>Writes a known_hosts file in the fixture folder from the given lines and returns its path.</summary>
    public string WriteFile(string name, IEnumerable<string> lines)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>A fresh host key pair (not used by any node), as "type base64", for "changed key" cases.</summary>
    public async Task<string> NewPublicKeyAsync(string type = "ed25519")
    {
        var path = Path.Combine(Directory, "spare_" + Guid.NewGuid().ToString("N")[..8]);
        await RunAsync(SshKeygen, ["-q", "-t", type, "-N", "", "-C", "", "-f", path], CancellationToken.None);
        return PublicKey(path + ".pub");
    }

    /// <summary>"[address]:port" (or the bare address on port 22), as known_hosts writes a host.</summary>
    public string HostField(string host) => Port == 22 ? host : $"[{host}]:{Port}";

    public async ValueTask DisposeAsync()
    {
        foreach (var extra in _extras)
        {
            extra.Dispose();
        }

        foreach (var node in _nodes)
        {
            if (node.Process is { } p)
            {
                try
                {
                    if (!p.HasExited)
                    {
                        p.Kill(entireProcessTree: true);
                        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
                    }
                }
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
                {
                    // Already gone.
                }

                p.Dispose();
            }
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A session child may still hold a file for a moment; the temp folder is cleaned by the OS later.
        }
    }

    private async Task CreateClientKeysAsync(CancellationToken ct)
    {
        await RunAsync(SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", "fixture-client", "-f", ClientKeyEd25519], ct);
        await RunAsync(SshKeygen, ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-C", "fixture-client-pem", "-f", ClientKeyRsaPem], ct);
        await RunAsync(SshKeygen, ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "fixture-client-rsa", "-f", ClientKeyRsaOpenSsh], ct);
        await RunAsync(SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", "stranger", "-f", UnauthorizedClientKey], ct);
        File.WriteAllLines(Path.Combine(Directory, "client", "authorized_keys"),
        [
            File.ReadAllText(ClientKeyEd25519 + ".pub").Trim(),
            File.ReadAllText(ClientKeyRsaPem + ".pub").Trim(),
            File.ReadAllText(ClientKeyRsaOpenSsh + ".pub").Trim(),
        ]);
    }

    private async Task<FakeSshNode> StartNodeAsync(FakeSshNodeSpec spec, CancellationToken ct)
    {
        var address = spec.Ipv6 ? "::1" : _addressPrefix + (1 + Interlocked.Increment(ref _nextHost));
        var dir = Path.Combine(Directory, "nodes", spec.Name);
        System.IO.Directory.CreateDirectory(dir);
        var node = new FakeSshNode(spec, address, dir);

        var cpuinfo = Path.Combine(dir, "cpuinfo");
        File.Copy(spec.CpuInfoFile, cpuinfo);
        var keys = new List<string>();
        await RunAsync(SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", Path.Combine(dir, "ssh_host_ed25519_key")], ct);
        keys.Add(Path.Combine(dir, "ssh_host_ed25519_key"));
        if (spec.RsaHostKey)
        {
            await RunAsync(SshKeygen, ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "", "-f", Path.Combine(dir, "ssh_host_rsa_key")], ct);
            keys.Add(Path.Combine(dir, "ssh_host_rsa_key"));
        }

        node.HostPublicKeys = keys.Select(k => PublicKey(k + ".pub")).ToList();
        var delay = spec.NeverAnswers ? "exec sleep 86400; "
            : spec.DelaySeconds > 0 ? $"sleep {spec.DelaySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}; " : "";
        var authorizedKeys = Path.Combine(Directory, "client", "authorized_keys");
        if (!spec.AuthorizesClient)
        {
            authorizedKeys = Path.Combine(dir, "authorized_keys");
            File.WriteAllText(authorizedKeys, "");
        }

        var listen = spec.Ipv6 ? $"[{address}]:{Port}" : $"{address}:{Port}";
        var config = new StringBuilder()
            .AppendLine($"ListenAddress {listen}")
            .AppendLine(string.Join(Environment.NewLine, keys.Select(k => $"HostKey {k}")))
            .AppendLine($"PidFile {Path.Combine(dir, "sshd.pid")}")
            .AppendLine($"AuthorizedKeysFile {authorizedKeys}")
            .AppendLine("UsePAM no")
            .AppendLine("StrictModes no")
            .AppendLine("PermitRootLogin prohibit-password")
            .AppendLine("PasswordAuthentication no")
            .AppendLine("KbdInteractiveAuthentication no")
            .AppendLine("PrintMotd no")
            .AppendLine("UseDNS no")
            .AppendLine("MaxStartups 100:30:200")
            .AppendLine("LogLevel VERBOSE")
            // sshd runs the forced command through root's login shell, and bash reads ~/.bashrc when sshd starts it
            // unless SHLVL says it is already nested: a slow ~/.bashrc (pyenv init, about 1 s) would otherwise be
            // part of every connection, in the tests and in the scale harness alike.
            .AppendLine("SetEnv SHLVL=1")
            .AppendLine($"ForceCommand {delay}{(spec.StderrBytes > 0 ? $"head -c {spec.StderrBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)} /dev/zero >&2; " : "")}exec cat {cpuinfo}")
            .ToString();
        var configPath = Path.Combine(dir, "sshd_config");
        File.WriteAllText(configPath, config);

        var start = new ProcessStartInfo(Sshd) { UseShellExecute = false };
        foreach (var arg in new[] { "-D", "-f", configPath, "-E", node.SshdLog })
        {
            start.ArgumentList.Add(arg);
        }

        node.Process = Process.Start(start) ?? throw new InvalidOperationException("sshd did not start");
        await WaitForBannerAsync(node, ct);
        return node;
    }

    private async Task WaitForBannerAsync(FakeSshNode node, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (node.Process!.HasExited)
            {
                var log = File.Exists(node.SshdLog) ? File.ReadAllText(node.SshdLog) : "";
                throw new InvalidOperationException($"sshd for {node.Name} on {node.Address}:{Port} exited with {node.Process.ExitCode}: {log}");
            }

            try
            {
                using var tcp = new TcpClient(node.Address.Contains(':') ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
                await tcp.ConnectAsync(IPAddress.Parse(node.Address), Port, ct);
                using var stream = tcp.GetStream();
                var buffer = new byte[8];
                using var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                readTimeout.CancelAfter(TimeSpan.FromSeconds(5));
                var read = await stream.ReadAtLeastAsync(buffer, 4, throwOnEndOfStream: false, readTimeout.Token);
                if (read >= 4 && Encoding.ASCII.GetString(buffer, 0, 4) == "SSH-")
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"sshd for {node.Name} on {node.Address}:{Port} did not answer");
            }

            await Task.Delay(50, ct);
        }
    }

    private void WriteKnownHostsFiles()
    {
        var plain = new List<string>();
        var hashed = new List<string>();
        var byName = new List<string>();
        var rsaOnly = new List<string>();
        foreach (var node in _nodes)
        {
            foreach (var key in node.HostPublicKeys)
            {
                plain.Add($"{HostField(node.Address)} {key}");
                hashed.Add($"{Hash(HostField(node.Address))} {key}");
                byName.Add($"{HostField(node.Name)} {key}");
                if (key.StartsWith("ssh-rsa ", StringComparison.Ordinal))
                {
                    rsaOnly.Add($"{HostField(node.Address)} {key}");
                }
            }
        }

        File.WriteAllLines(KnownHostsPlain, plain);
        File.WriteAllLines(KnownHostsHashed, hashed);
        File.WriteAllLines(KnownHostsByName, byName);
        File.WriteAllLines(KnownHostsRsaOnly, rsaOnly);
    }

    /// <summary>A hashed host field as OpenSSH writes it: |1|base64(salt)|base64(HMAC-SHA1(salt, host)).</summary>
    public static string Hash(string host)
    {
        var salt = RandomNumberGenerator.GetBytes(20);
        return $"|1|{Convert.ToBase64String(salt)}|{Convert.ToBase64String(HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(host)))}";
    }

    private static string PublicKey(string pubFile)
    {
        var fields = File.ReadAllText(pubFile).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return $"{fields[0]} {fields[1].Trim()}";
    }

    private static int FreePort(string address)
    {
        var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var stderr = process.StandardError.ReadToEndAsync(ct);
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }

    private sealed class Disposer(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
