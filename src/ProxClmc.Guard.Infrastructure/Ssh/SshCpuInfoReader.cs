using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Parsing;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Ssh.Wire;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace ProxClmc.Guard.Infrastructure.Ssh;

/// <summary>
/// Reads <c>/proc/cpuinfo</c> from one node over SSH with key authentication and host keys checked against known_hosts.
/// The command line is fixed: nothing from configuration or node names ever becomes part of it.
/// </summary>
internal sealed class SshCpuInfoReader : IDisposable
{
    /// <summary>The only command ever run on a node.</summary>
    public const string Command = "cat /proc/cpuinfo";

    private readonly SshOptions _options;
    private readonly List<byte[]> _keys;
    private readonly string _identityDescription;
    private readonly Func<string, KnownHosts> _knownHostsFor;
    private readonly KnownHostsFiles? _files;

    // Parsed key sets not in use: a connection takes one (or parses a new one) and gives it back when done, so no key
    // object signs for two sessions at once, and the set parsed to check the keys at start serves the first connection
    // (parsing an ED25519 key derives its public key, as costly as a signature).
    private readonly System.Collections.Concurrent.ConcurrentBag<PrivateKeyFile[]> _idleKeys = [];

    // The keys in the thin client's form, or null when one of them is in a format only SSH.NET reads.
    private readonly IReadOnlyList<SshClientKey>? _wireKeys;

    // Set once libcrypto.so.3 turns out to be missing (an OpenSSL 1.1 system): every connection then uses SSH.NET.
    private static volatile bool s_wireUnavailable;

    /// <summary>Loads the identity files now: a missing, unreadable or passphrase-protected key is a configuration error.</summary>
    /// <param name="knownHostsFor">known_hosts for a node name; by default the files of <see cref="SshOptions.KnownHostsFilesFor"/>.</param>
    public SshCpuInfoReader(SshOptions options, Func<string, KnownHosts>? knownHostsFor = null)
    {
        _options = options;
        (_keys, _identityDescription, var parsed, _wireKeys) = LoadKeys(options);
        if (parsed.Length > 0)
        {
            _idleKeys.Add(parsed);
        }
        if (knownHostsFor is null)
        {
            _files = new KnownHostsFiles(options);
            knownHostsFor = _files.For;
        }

        _knownHostsFor = knownHostsFor;
    }

    /// <summary>known_hosts lines skipped so far ("file:line: why"), for the log; never fatal, like OpenSSH.</summary>
    public IReadOnlyList<string> KnownHostsWarnings => _files?.Warnings ?? [];

    /// <summary>Bytes of output accepted before the read is abandoned.</summary>
    internal int MaxOutputBytes { get; init; } = InputLimits.MaxCpuInfoBytes;

    /// <summary>Bytes of stderr accepted: enough for any error message; a node flooding stderr is cut off, not buffered.</summary>
    internal int MaxErrorBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Connections use the thin client (<see cref="SshWireSession"/>) when every key is in a format it reads; false, or a
    /// server it cannot negotiate with, uses SSH.NET.
    /// </summary>
    internal bool UseWireClient { get; init; } = true;

    /// <summary>Does this reader connect with the thin client (no thread per connection)?</summary>
    internal bool UsesWireClient => UseWireClient && _wireKeys is not null && !s_wireUnavailable;

    /// <summary>Tries each link address in order (ring0 first) until one answers; never throws for a bad node.</summary>
    public async Task<RemoteCpuInfo> ReadAsync(ClusterNode node, CancellationToken cancellationToken)
    {
        var addresses = node.Addresses.ToList();
        if (addresses.Count == 0)
        {
            addresses.Add(node.Name);
        }

        var knownHosts = _knownHostsFor(node.Name);
        var failures = new List<string>();
        foreach (var address in addresses)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (text, error) = await TryAddressAsync(node.Name, address, knownHosts, cancellationToken).ConfigureAwait(false);
            if (text is not null)
            {
                return new RemoteCpuInfo(node.Name, address, text, null);
            }

            failures.Add(error!);
        }

        return new RemoteCpuInfo(node.Name, addresses[0], null, string.Join(" | ", failures));
    }

    public void Dispose()
    {
        foreach (var key in _keys)
        {
            Array.Clear(key);
        }

        while (_idleKeys.TryTake(out var set))
        {
            DisposeKeys(set);
        }

        foreach (var key in _wireKeys ?? [])
        {
            key.Dispose();
        }
    }

    private static void DisposeKeys(PrivateKeyFile[] keys)
    {
        foreach (var key in keys)
        {
            key.Dispose();
        }
    }

    private async Task<(string? Text, string? Error)> TryAddressAsync(string node, string address, KnownHosts knownHosts, CancellationToken cancellationToken)
    {
        if (UsesWireClient)
        {
            try
            {
                return await TryAddressWireAsync(node, address, knownHosts, cancellationToken).ConfigureAwait(false);
            }
            catch (SshWireNegotiationException)
            {
                // A server this client shares no algorithm with (no AES-GCM, an old key exchange): SSH.NET's wider set.
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                s_wireUnavailable = true;
            }
        }

        return await TryAddressSshNetAsync(node, address, knownHosts, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One address with the thin client; throws <see cref="SshWireNegotiationException"/> to ask for SSH.NET instead.</summary>
    private async Task<(string? Text, string? Error)> TryAddressWireAsync(string node, string address, KnownHosts knownHosts, CancellationToken cancellationToken)
    {
        var port = _options.Port;
        var host = address.StartsWith('[') && address.EndsWith(']') ? address[1..^1] : address;
        var who = $"{OneLine(node)} ({OneLine(address)})";
        HostKeyCheck? check = null;
        SshWireSession? session = null;
        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connectTimeout.CancelAfter(_options.ConnectTimeout);
                try
                {
                    session = await SshWireSession.ConnectAsync(host, port, connectTimeout.Token).ConfigureAwait(false);
                    await session.HandshakeAsync(
                        HostKeyAlgorithms(knownHosts.KeyTypesFor([address, node], port)),
                        blob =>
                        {
                            check = knownHosts.Verify([address, node], port, blob);
                            return check.Status == HostKeyStatus.Trusted;
                        },
                        _options.User,
                        _wireKeys!,
                        connectTimeout.Token).ConfigureAwait(false);
                }
                catch (SshWireNegotiationException)
                {
                    throw;
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not DllNotFoundException and not EntryPointNotFoundException)
                {
                    return (null, DescribeConnectFailure(ex, check, node, address));
                }
            }

            using var commandTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            commandTimeout.CancelAfter(_options.CommandTimeout);
            SshExecResult result;
            try
            {
                result = await session.ExecAsync(Command, MaxOutputBytes, MaxErrorBytes, commandTimeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                return ex is OperationCanceledException
                    ? (null, $"{who}: `{Command}` gave no complete answer within {Seconds(_options.CommandTimeout)} (command timeout)")
                    : (null, $"{who}: `{Command}` failed: {OneLine(ex.Message)}");
            }

            if (result.Output is null)
            {
                return (null, $"{who}: {TooLarge()}");
            }

            if (result.Error is null)
            {
                return (null, $"{who}: {ErrorTooLarge()}");
            }

            if (result.ExitStatus is uint status && status != 0)
            {
                return (null, $"{who}: `{Command}` exited with status {status}{FirstLine(new UTF8Encoding(false, false).GetString(result.Error))}");
            }

            if (result.ExitStatus is null && result.ExitSignal is { } signal)
            {
                return (null, $"{who}: `{Command}` was ended by signal {OneLine(signal)}{FirstLine(new UTF8Encoding(false, false).GetString(result.Error))}");
            }

            return (new UTF8Encoding(false, false).GetString(result.Output), null);
        }
        finally
        {
            session?.Dispose();
        }
    }

    /// <summary>The host key algorithms to offer: those of the key types known_hosts records first, like OpenSSH.</summary>
    private static List<string> HostKeyAlgorithms(IReadOnlyList<string> knownTypes)
    {
        var preferred = knownTypes.SelectMany(HostKeys.AlgorithmsFor).ToHashSet(StringComparer.Ordinal);
        var all = SshSignatures.HostKeyAlgorithms;
        return [.. all.Where(preferred.Contains), .. all.Where(a => !preferred.Contains(a))];
    }

    private async Task<(string? Text, string? Error)> TryAddressSshNetAsync(string node, string address, KnownHosts knownHosts, CancellationToken cancellationToken)
    {
        var port = _options.Port;
        var host = address.StartsWith('[') && address.EndsWith(']') ? address[1..^1] : address;
        // Each connection has key objects of its own while it runs: the library does not promise that one key may sign for
        // several sessions at once.
        if (!_idleKeys.TryTake(out var keys))
        {
            keys = _keys.Select(k => new PrivateKeyFile(new MemoryStream(k, writable: false))).ToArray();
        }

        using var returnKeys = new KeyReturner(_idleKeys, keys);
        var info = new ConnectionInfo(host, port, _options.User, new PrivateKeyAuthenticationMethod(_options.User, keys))
        {
            Timeout = _options.ConnectTimeout,
        };
        PreferKnownKeyTypes(info, knownHosts.KeyTypesFor([address, node], port));
        PreferFastKeyExchange(info);

        HostKeyCheck? check = null;
        using var client = new SshClient(info);
        client.HostKeyReceived += (_, e) =>
        {
            check = knownHosts.Verify([address, node], port, e.HostKey);
            e.CanTrust = check.Status == HostKeyStatus.Trusted;
        };

        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connectTimeout.CancelAfter(_options.ConnectTimeout);
            try
            {
                // WaitAsync bounds the handshake even if a stage of the library ignores the token (a server that accepts TCP and never speaks).
                await client.ConnectAsync(connectTimeout.Token).WaitAsync(_options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                return (null, DescribeConnectFailure(ex, check, node, address));
            }
        }

        var who = $"{OneLine(node)} ({OneLine(address)})";
        using var command = client.CreateCommand(Command);
        command.CommandTimeout = _options.CommandTimeout;
        using var commandTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        commandTimeout.CancelAfter(_options.CommandTimeout);
        var tooLarge = new StrongBox<bool>();
        var errorTooLarge = new StrongBox<bool>();
        try
        {
            var execution = command.ExecuteAsync(commandTimeout.Token);

            // stderr is drained under its own cap: left alone, the library buffers all of it in memory.
            var errors = Task.Factory.StartNew(
                () => ReadLimited(command.ExtendedOutputStream, commandTimeout, errorTooLarge, MaxErrorBytes),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);

            // Read while the command runs so a node that floods output is cut off at the limit instead of filling memory.
            // The library's output stream only offers blocking reads, so the read gets a thread of its own instead of holding
            // one of the few pool threads a 2-core node has while up to `parallelism` commands are in flight.
            var output = Task.Factory.StartNew(
                () => ReadLimited(command.OutputStream, commandTimeout, tooLarge, MaxOutputBytes),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            await execution.WaitAsync(_options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            var bytes = await output.WaitAsync(_options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            var errorBytes = await errors.WaitAsync(_options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            if (bytes is null)
            {
                return (null, $"{who}: {TooLarge()}");
            }

            if (errorBytes is null)
            {
                return (null, $"{who}: {ErrorTooLarge()}");
            }

            if (command.ExitStatus is int status && status != 0)
            {
                return (null, $"{who}: `{Command}` exited with status {status}{FirstLine(new UTF8Encoding(false, false).GetString(errorBytes))}");
            }

            return (new UTF8Encoding(false, false).GetString(bytes), null);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            if (tooLarge.Value)
            {
                return (null, $"{who}: {TooLarge()}");
            }

            if (errorTooLarge.Value)
            {
                return (null, $"{who}: {ErrorTooLarge()}");
            }

            return ex is OperationCanceledException or TimeoutException or SshOperationTimeoutException
                ? (null, $"{who}: `{Command}` gave no complete answer within {Seconds(_options.CommandTimeout)} (command timeout)")
                : (null, $"{who}: `{Command}` failed: {OneLine(ex.Message)}");
        }
    }

    private string TooLarge() => $"`{Command}` printed more than {MaxOutputBytes} bytes; refused";

    private string ErrorTooLarge() => $"`{Command}` wrote more than {MaxErrorBytes} bytes to stderr; refused";

    private static byte[]? ReadLimited(Stream stream, CancellationTokenSource cancelCommand, StrongBox<bool> tooLarge, int maxBytes)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                tooLarge.Value = true;
                cancelCommand.Cancel();
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>One line for a failed connection, worded like OpenSSH for host key problems.</summary>
    private string DescribeConnectFailure(Exception ex, HostKeyCheck? check, string node, string address)
    {
        var who = $"{OneLine(node)} ({OneLine(address)})";
        if (check is { Status: not HostKeyStatus.Trusted })
        {
            var firstFile = _options.KnownHostsFilesFor(node).FirstOrDefault() ?? "~/.ssh/known_hosts";
            return check.Status switch
            {
                HostKeyStatus.Unknown =>
                    $"{who}: host key unknown ({check.KeyDescription}); compare it with `ssh-keygen -lf /etc/ssh/ssh_host_{HostKeys.DisplayType(check.KeyType).ToLowerInvariant()}_key.pub` " +
                    $"run on the node itself (its console, not over this network) before adding it to {firstFile}; refusing",
                HostKeyStatus.Changed =>
                    $"REMOTE HOST IDENTIFICATION HAS CHANGED for {who}: the server offers {check.KeyDescription}, {check.Entry!.Location} records another {HostKeys.DisplayType(check.KeyType)} key " +
                    "(if the node was reinstalled, compare with `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` on its console, then run `pvecm updatecerts` there); refusing",
                _ => $"{who}: host key {check.KeyDescription} is marked @revoked in {check.Entry!.Location}; refusing",
            };
        }

        var timeout = Seconds(_options.ConnectTimeout);
        var reason = ex switch
        {
            SocketException { SocketErrorCode: SocketError.ConnectionRefused } => $"connection refused on port {_options.Port}",
            SocketException { SocketErrorCode: SocketError.TimedOut } => $"no answer on port {_options.Port} within {timeout}",
            SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain } => "cannot resolve the address",
            SocketException s => $"cannot connect to port {_options.Port}: {OneLine(s.Message)}",
            SshAuthenticationException or SshWireAuthenticationException => $"the server refused key authentication as {_options.User} with {_identityDescription}",
            OperationCanceledException or TimeoutException or SshOperationTimeoutException =>
                $"no SSH handshake within {timeout} (connect timeout)",
            SshConnectionException c => $"SSH connection failed: {OneLine(c.Message)}",
            SshWireException w => $"SSH connection failed: {OneLine(w.Message)}",
            _ => $"SSH connection failed: {OneLine(ex.Message)}",
        };
        return $"{who}: {reason}";
    }

    /// <summary>
    /// Proxmox's cluster known_hosts records RSA keys while sshd offers ED25519 first: like OpenSSH, ask for the key types
    /// known_hosts can check before the others, so a recorded key is what the server presents.
    /// </summary>
    private static void PreferKnownKeyTypes(ConnectionInfo info, IReadOnlyList<string> knownTypes)
    {
        if (knownTypes.Count == 0)
        {
            return;
        }

        var preferred = knownTypes.SelectMany(HostKeys.AlgorithmsFor).ToHashSet(StringComparer.Ordinal);
        var all = info.HostKeyAlgorithms.ToList();
        info.HostKeyAlgorithms.Clear();
        foreach (var pair in all.Where(p => preferred.Contains(p.Key)).Concat(all.Where(p => !preferred.Contains(p.Key))))
        {
            info.HostKeyAlgorithms.Add(pair.Key, pair.Value);
        }
    }

    /// <summary>
    /// OpenSSH 9.x servers and SSH.NET both pick sntrup761x25519 first, whose managed implementation costs about 150 ms of CPU
    /// per connection here, times every node on every run. Its post-quantum protection guards recorded traffic against future
    /// decryption, which a /proc/cpuinfo does not need; host authentication is unchanged (the host key signature). So
    /// curve25519-sha256 is asked for first and the other algorithms stay available as fallbacks. Measured against
    /// ecdh-sha2-nistp256, whose curve arithmetic runs in OpenSSL: the managed curve25519 exchange costs 4.8 M
    /// instructions, the OpenSSL one 8.4 M (importing the server's point and setting up the EC key dominate), so
    /// curve25519 stays first (README "Measured speed").
    /// </summary>
    private static void PreferFastKeyExchange(ConnectionInfo info)
    {
        const string Fast = "curve25519-sha256";
        if (!info.KeyExchangeAlgorithms.ContainsKey(Fast))
        {
            return;
        }

        var all = info.KeyExchangeAlgorithms.ToList();
        info.KeyExchangeAlgorithms.Clear();
        foreach (var pair in all.Where(p => p.Key == Fast).Concat(all.Where(p => p.Key != Fast)))
        {
            info.KeyExchangeAlgorithms.Add(pair.Key, pair.Value);
        }
    }

    private sealed class KeyReturner(System.Collections.Concurrent.ConcurrentBag<PrivateKeyFile[]> idle, PrivateKeyFile[] keys) : IDisposable
    {
        public void Dispose() => idle.Add(keys);
    }

    /// <summary>
    /// Reads the identity files. Keys in a format the thin client reads (unencrypted openssh-key-v1 ed25519/RSA/ECDSA, PEM
    /// RSA) are parsed only by it; when one is not, every key is parsed by SSH.NET as before, which also words the errors
    /// (a passphrase, a file that is no key) and serves the connections.
    /// </summary>
    private static (List<byte[]> Keys, string Description, PrivateKeyFile[] Parsed, IReadOnlyList<SshClientKey>? WireKeys) LoadKeys(SshOptions options)
    {
        var explicitFile = options.IdentityFile is { Length: > 0 };
        var candidates = explicitFile
            ? [SshOptions.ExpandHome(options.IdentityFile!)]
            : SshOptions.DefaultIdentityFiles.Select(p => SshOptions.ExpandHome(p)).ToList();
        var keys = new List<byte[]>();
        var used = new List<string>();
        foreach (var path in candidates)
        {
            if (!File.Exists(path))
            {
                if (explicitFile)
                {
                    throw new GuardConfigurationException($"ssh.identity_file: {path} does not exist");
                }

                continue;
            }

            try
            {
                var bytes = File.ReadAllBytes(path);
                if (bytes.Length > 64 * 1024)
                {
                    throw new GuardConfigurationException($"ssh.identity_file: {path} is larger than 64 KiB; not a private key");
                }

                keys.Add(bytes);
                used.Add(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new GuardConfigurationException($"ssh.identity_file: {path} is not a usable private key ({OneLine(ex.Message)})", ex);
            }
        }

        if (keys.Count == 0)
        {
            throw new GuardConfigurationException(
                $"ssh.identity_file: no private key found (tried {string.Join(", ", candidates)}); set [ssh] identity_file");
        }

        var wire = new List<SshClientKey>();
        foreach (var bytes in keys)
        {
            if (SshClientKey.TryParse(bytes) is not { } key)
            {
                break;
            }

            wire.Add(key);
        }

        if (wire.Count == keys.Count)
        {
            return (keys, string.Join(", ", used), [], wire);
        }

        foreach (var key in wire)
        {
            key.Dispose();
        }

        var parsed = new List<PrivateKeyFile>();
        for (var i = 0; i < keys.Count; i++)
        {
            var path = used[i];
            try
            {
                // Parsed here so a bad key is a configuration error before any node is contacted; the first connection uses it.
                parsed.Add(new PrivateKeyFile(new MemoryStream(keys[i], writable: false)));
            }
            catch (SshPassPhraseNullOrEmptyException ex)
            {
                throw new GuardConfigurationException($"ssh.identity_file: {path} is protected by a passphrase; use a key without one (like Proxmox's /root/.ssh/id_rsa)", ex);
            }
            catch (Exception ex) when (ex is SshException or IOException or UnauthorizedAccessException or ArgumentException or FormatException or NotSupportedException or InvalidOperationException)
            {
                throw new GuardConfigurationException($"ssh.identity_file: {path} is not a usable private key ({OneLine(ex.Message)})", ex);
            }
        }

        return (keys, string.Join(", ", used), [.. parsed], null);
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.###} s";

    private static string FirstLine(string? text)
    {
        var line = text?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return string.IsNullOrEmpty(line) ? "" : ": " + OneLine(line);
    }

    private static string OneLine(string text)
    {
        var flat = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Trim();
        return flat.Length > 200 ? flat[..200] + "..." : flat;
    }
}
