using System.Security.Cryptography;
using System.Text;

namespace ProxClmc.Guard.Infrastructure.Ssh.Wire;

/// <summary>
/// One SSH-2 connection that does the one thing the collector needs: key exchange (RFC 4253; curve25519-sha256 RFC 8731,
/// ecdh-sha2-nistp256/384/521 RFC 5656) with strict key exchange (OpenSSH's kex-strict, against the Terrapin prefix
/// truncation), the host key checked by the caller and its signature verified, publickey authentication (RFC 4252),
/// then one session channel running one command (RFC 4254) whose output and stderr are read under caps.
/// Everything runs on async socket calls: a wave of connections needs no thread per connection.
/// Only AES-GCM is offered as cipher (its tag covers the packet, so there is no separate MAC to negotiate).
/// </summary>
internal sealed class SshWireSession : IDisposable
{
    public const string ClientVersion = "SSH-2.0-ProxClmcGuard";

    /// <summary>Key exchanges, cheapest first; all run in OpenSSL.</summary>
    public static IReadOnlyList<string> KeyExchanges { get; } =
        ["curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521"];

    public static IReadOnlyList<string> Ciphers { get; } = ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"];

    private const string StrictClient = "kex-strict-c-v00@openssh.com";
    private const string StrictServer = "kex-strict-s-v00@openssh.com";

    // Message numbers (RFC 4250 section 4.1.2, RFC 5656 section 7.1).
    private const byte Disconnect = 1, Ignore = 2, Unimplemented = 3, Debug = 4, ServiceRequest = 5, ServiceAccept = 6;
    private const byte KexInit = 20, NewKeys = 21, KexEcdhInit = 30, KexEcdhReply = 31;
    private const byte UserauthRequest = 50, UserauthFailure = 51, UserauthSuccess = 52, UserauthBanner = 53;
    private const byte GlobalRequest = 80, RequestFailure = 82;
    private const byte ChannelOpen = 90, ChannelOpenConfirmation = 91, ChannelOpenFailure = 92, ChannelWindowAdjust = 93;
    private const byte ChannelData = 94, ChannelExtendedData = 95, ChannelEof = 96, ChannelClose = 97;
    private const byte ChannelRequest = 98, ChannelSuccess = 99, ChannelFailure = 100;

    /// <summary>The channel window this side offers, and its largest data packet.</summary>
    private const uint Window = 2 * 1024 * 1024;
    private const uint MaxData = 32 * 1024;

    private readonly SshWireTransport _transport;
    private byte[] _sessionId = [];

    private SshWireSession(SshWireTransport transport) => _transport = transport;

    /// <summary>Opens the TCP connection (the caller's token bounds it).</summary>
    public static async Task<SshWireSession> ConnectAsync(string host, int port, CancellationToken cancellationToken) =>
        new(await SshWireTransport.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Key exchange and authentication. <paramref name="trustHostKey"/> is asked about the server's host key blob before
    /// its signature is checked and before any secret is sent; false ends the connection.
    /// </summary>
    public async Task HandshakeAsync(
        IReadOnlyList<string> hostKeyAlgorithms, Func<byte[], bool> trustHostKey, string user, IReadOnlyList<SshClientKey> keys, CancellationToken cancellationToken)
    {
        // Our identification and KEXINIT go out at once, before the server's identification arrives.
        var clientKexInit = new SshWriter(512).Byte(KexInit).Raw(RandomNumberGenerator.GetBytes(16))
            .String(string.Join(',', KeyExchanges.Append(StrictClient)))
            .String(string.Join(',', hostKeyAlgorithms))
            .String(string.Join(',', Ciphers)).String(string.Join(',', Ciphers))
            .String("hmac-sha2-256-etm@openssh.com,hmac-sha2-256").String("hmac-sha2-256-etm@openssh.com,hmac-sha2-256")
            .String("none").String("none").String("").String("").Bool(false).UInt32(0).ToArray();
        _transport.QueueLine(ClientVersion);
        _transport.Queue(clientKexInit);
        await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);

        var serverVersion = await _transport.ReadVersionAsync(cancellationToken).ConfigureAwait(false);
        var serverKexInit = await _transport.ReadPacketAsync(cancellationToken).ConfigureAwait(false);
        if (serverKexInit[0] != KexInit)
        {
            throw Unexpected(serverKexInit[0], "key exchange");
        }

        var (kex, hostKeyAlgorithm, cipher, strict) = Negotiate(serverKexInit, hostKeyAlgorithms);
        if (strict && _transport.ReceiveSequence != 1)
        {
            throw new SshWireException("strict key exchange: the server's KEXINIT was not its first packet");
        }

        // Ephemeral key and the exchange (RFC 8731 section 3, RFC 5656 section 4).
        byte[] clientPoint;
        byte[]? x25519Private = null;
        ECDiffieHellman? ecdh = null;
        var curve = kex.StartsWith("curve25519", StringComparison.Ordinal) ? ((ECCurve, int, HashAlgorithmName)?)null : SshSignatures.Curve(kex);
        var hash = curve?.Item3 ?? HashAlgorithmName.SHA256;
        if (curve is null)
        {
            x25519Private = RandomNumberGenerator.GetBytes(LibCrypto.KeySize);
            clientPoint = LibCrypto.X25519PublicKey(x25519Private);
        }
        else
        {
            ecdh = ECDiffieHellman.Create(curve.Value.Item1);
            var q = ecdh.ExportParameters(false).Q;
            clientPoint = [4, .. q.X!, .. q.Y!];
        }

        var secret = new SshWriter(80);
        try
        {
            _transport.Queue(new SshWriter(80).Byte(KexEcdhInit).String(clientPoint).Written);
            await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);

            var replyPayload = await _transport.ReadPacketAsync(cancellationToken).ConfigureAwait(false);
            if (replyPayload[0] != KexEcdhReply)
            {
                throw Unexpected(replyPayload[0], "key exchange");
            }

            var reply = new SshReader(replyPayload.AsSpan(1), "key exchange reply");
            var hostKey = reply.String(16 * 1024).ToArray();
            var serverPoint = reply.String(1 + 2 * 66);
            var signature = reply.String(16 * 1024).ToArray();
            reply.End();

            if (SshSignatures.Name(hostKey) != SshSignatures.KeyTypeOf(hostKeyAlgorithm))
            {
                throw new SshWireException($"the server presented a {SshSignatures.Name(hostKey)} host key for {hostKeyAlgorithm}");
            }

            if (!trustHostKey(hostKey))
            {
                throw new SshWireHostKeyException("the host key is not trusted");
            }

            Span<byte> shared = stackalloc byte[66];
            int sharedLength;
            if (x25519Private is not null)
            {
                if (serverPoint.Length != LibCrypto.KeySize || !LibCrypto.X25519Agree(x25519Private, serverPoint, shared[..LibCrypto.KeySize]))
                {
                    throw new SshWireException("the server's key exchange value is not a usable X25519 key");
                }

                sharedLength = LibCrypto.KeySize;
            }
            else
            {
                var size = curve!.Value.Item2;
                using var peerKey = SshSignatures.ImportPoint(curve.Value.Item1, size, serverPoint);
                using var peer = ECDiffieHellman.Create(peerKey.ExportParameters(false));
                var x = ecdh!.DeriveRawSecretAgreement(peer.PublicKey);
                x.CopyTo(shared);
                sharedLength = x.Length;
                CryptographicOperations.ZeroMemory(x);
            }

            secret.Mpint(shared[..sharedLength]);
            shared.Clear();

            var exchange = new SshWriter(2048)
                .String(Encoding.ASCII.GetBytes(ClientVersion)).String(Encoding.ASCII.GetBytes(serverVersion))
                .String(clientKexInit).String(serverKexInit).String(hostKey).String(clientPoint).String(serverPoint)
                .Raw(secret.Written);
            var exchangeHash = Hash(hash, exchange.Written);
            exchange.Clear();

            if (!SshSignatures.Verify(hostKeyAlgorithm, hostKey, signature, exchangeHash))
            {
                throw new SshWireException("the host key's signature over the key exchange does not verify (a forged or broken server); refusing");
            }

            _sessionId = exchangeHash;
            var keySize = AesGcmPacketCipher.KeySizeOf(cipher);
            var send = new AesGcmPacketCipher(Derive(hash, secret, exchangeHash, 'C', keySize), Derive(hash, secret, exchangeHash, 'A', AesGcmPacketCipher.NonceSize));
            var receive = new AesGcmPacketCipher(Derive(hash, secret, exchangeHash, 'D', keySize), Derive(hash, secret, exchangeHash, 'B', AesGcmPacketCipher.NonceSize));

            // NEWKEYS, then at once (keyed) the service request and the first key's authentication: one round trip less.
            _transport.Queue([NewKeys]);
            _transport.StartSending(send, strict);
            _transport.Queue(new SshWriter(32).Byte(ServiceRequest).String("ssh-userauth").Written);
            var next = 0;
            _transport.Queue(AuthenticationRequest(user, keys[next++]));
            await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);

            var newKeys = await _transport.ReadPacketAsync(cancellationToken).ConfigureAwait(false);
            if (newKeys.Length != 1 || newKeys[0] != NewKeys)
            {
                throw Unexpected(newKeys[0], "key exchange");
            }

            _transport.StartReceiving(receive, strict);

            var accepted = false;
            while (true)
            {
                var message = await ReadAsync(cancellationToken).ConfigureAwait(false);
                switch (message[0])
                {
                    case ServiceAccept when !accepted:
                        accepted = true;
                        break;
                    case UserauthBanner when accepted:
                        break;
                    case UserauthSuccess when accepted:
                        return;
                    case UserauthFailure when accepted:
                        if (next >= keys.Count)
                        {
                            throw new SshWireAuthenticationException("the server refused every key");
                        }

                        _transport.Queue(AuthenticationRequest(user, keys[next++]));
                        await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        throw Unexpected(message[0], "authentication");
                }
            }
        }
        finally
        {
            secret.Clear();
            if (x25519Private is not null)
            {
                CryptographicOperations.ZeroMemory(x25519Private);
            }

            ecdh?.Dispose();
        }
    }

    /// <summary>Runs <paramref name="command"/> on a session channel and reads until the server closes the channel.</summary>
    public async Task<SshExecResult> ExecAsync(string command, int maxOutput, int maxError, CancellationToken cancellationToken)
    {
        _transport.Queue(new SshWriter(64).Byte(ChannelOpen).String("session").UInt32(0).UInt32(Window).UInt32(MaxData).Written);
        await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);

        uint remote;
        while (true)
        {
            var message = await ReadAsync(cancellationToken).ConfigureAwait(false);
            if (message[0] == ChannelOpenConfirmation)
            {
                var r = new SshReader(message.AsSpan(1), "channel open confirmation");
                if (r.UInt32() != 0)
                {
                    throw new SshWireException("the server confirmed a channel that was not opened");
                }

                remote = r.UInt32();
                break;
            }

            if (message[0] == ChannelOpenFailure)
            {
                var r = new SshReader(message.AsSpan(1), "channel open failure");
                r.UInt32();
                var reason = r.UInt32();
                throw new SshWireException($"the server refused a session channel (reason {reason}: {Printable(r.String(1024))})");
            }

            throw Unexpected(message[0], "channel opening");
        }

        _transport.Queue(new SshWriter(64).Byte(ChannelRequest).UInt32(remote).String("exec").Bool(true).String(command).Written);
        await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);

        var output = new MemoryStream();
        var error = new MemoryStream();
        var outputTooLarge = false;
        var errorTooLarge = false;
        uint? exitStatus = null;
        string? exitSignal = null;
        var window = Window;
        while (true)
        {
            var message = await ReadAsync(cancellationToken).ConfigureAwait(false);
            var r = new SshReader(message.AsSpan(1), "channel message");
            switch (message[0])
            {
                case ChannelData:
                case ChannelExtendedData:
                {
                    Recipient(ref r);
                    var stream = message[0] == ChannelData || r.UInt32() == 1 ? (message[0] == ChannelData ? output : error) : null;
                    var data = r.String((int)MaxData);
                    r.End();
                    if ((uint)data.Length > window)
                    {
                        throw new SshWireException("the server sent more data than the channel window allows");
                    }

                    window -= (uint)data.Length;
                    if (stream == output)
                    {
                        outputTooLarge |= output.Length + data.Length > maxOutput;
                    }
                    else if (stream == error)
                    {
                        errorTooLarge |= error.Length + data.Length > maxError;
                    }

                    if (outputTooLarge || errorTooLarge)
                    {
                        return new SshExecResult(outputTooLarge ? null : output.ToArray(), errorTooLarge ? null : error.ToArray(), null, null);
                    }

                    stream?.Write(data);
                    if (window < Window / 2)
                    {
                        _transport.Queue(new SshWriter(16).Byte(ChannelWindowAdjust).UInt32(remote).UInt32(Window - window).Written);
                        await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);
                        window = Window;
                    }

                    break;
                }

                case ChannelRequest:
                {
                    Recipient(ref r);
                    var type = r.Name();
                    var wantReply = r.Bool();
                    if (type == "exit-status")
                    {
                        exitStatus = r.UInt32();
                    }
                    else if (type == "exit-signal")
                    {
                        exitSignal = r.Name();
                    }

                    if (wantReply)
                    {
                        _transport.Queue(new SshWriter(8).Byte(ChannelFailure).UInt32(remote).Written);
                        await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }

                    break;
                }

                case ChannelSuccess:
                    Recipient(ref r);
                    break;
                case ChannelFailure:
                    throw new SshWireException("the server refused to run the command");
                case ChannelWindowAdjust:
                case ChannelEof:
                    Recipient(ref r);
                    break;
                case ChannelClose:
                    Recipient(ref r);
                    _transport.Queue(new SshWriter(8).Byte(ChannelClose).UInt32(remote).Written);
                    _transport.Queue(new SshWriter(16).Byte(Disconnect).UInt32(11).String("").String("").Written);
                    try
                    {
                        await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException)
                    {
                        // The answer is complete; a server that already went away changes nothing.
                    }

                    return new SshExecResult(output.ToArray(), error.ToArray(), exitStatus, exitSignal);
                default:
                    throw Unexpected(message[0], "the command");
            }
        }
    }

    public void Dispose() => _transport.Dispose();

    /// <summary>
    /// The next message after key exchange, with the transport's housekeeping handled: IGNORE and DEBUG skipped, global
    /// requests (OpenSSH's hostkeys-00) declined, DISCONNECT turned into an error with the server's reason.
    /// </summary>
    private async ValueTask<byte[]> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var message = await _transport.ReadPacketAsync(cancellationToken).ConfigureAwait(false);
            switch (message[0])
            {
                case Ignore:
                case Debug:
                    continue;
                case GlobalRequest:
                {
                    var r = new SshReader(message.AsSpan(1), "global request");
                    r.Name();
                    if (r.Bool())
                    {
                        _transport.Queue([RequestFailure]);
                        await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }

                    continue;
                }

                case Disconnect:
                {
                    var r = new SshReader(message.AsSpan(1), "disconnect");
                    var reason = r.UInt32();
                    throw new SshWireException($"the server disconnected (reason {reason}: {Printable(r.String(1024))})");
                }

                case Unimplemented:
                    throw new SshWireException("the server did not understand a message of this client");
                default:
                    return message;
            }
        }
    }

    private static void Recipient(ref SshReader reader)
    {
        if (reader.UInt32() != 0)
        {
            throw new SshWireException("the server wrote to a channel that is not open");
        }
    }

    private static (string Kex, string HostKey, string Cipher, bool Strict) Negotiate(byte[] serverKexInit, IReadOnlyList<string> hostKeyAlgorithms)
    {
        var r = new SshReader(serverKexInit.AsSpan(1), "server KEXINIT");
        r.Bytes(16);
        var kex = r.NameList().Split(',');
        var hostKeys = r.NameList().Split(',');
        var encryptionC2S = r.NameList().Split(',');
        var encryptionS2C = r.NameList().Split(',');
        r.NameList();
        r.NameList();
        var compressionC2S = r.NameList().Split(',');
        var compressionS2C = r.NameList().Split(',');
        r.NameList();
        r.NameList();
        if (r.Bool())
        {
            throw new SshWireNegotiationException("the server guesses its key exchange packet");
        }

        r.UInt32();
        var cipherC2S = Choose(Ciphers, encryptionC2S, "cipher");
        var cipherS2C = Choose(Ciphers, encryptionS2C, "cipher");
        if (cipherC2S != cipherS2C)
        {
            throw new SshWireNegotiationException("the server chooses different ciphers per direction");
        }

        Choose(["none"], compressionC2S, "compression");
        Choose(["none"], compressionS2C, "compression");
        return (Choose(KeyExchanges, kex, "key exchange"), Choose(hostKeyAlgorithms, hostKeys, "host key algorithm"), cipherC2S, kex.Contains(StrictServer));
    }

    /// <summary>RFC 4253 section 7.1: the first of the client's algorithms that the server also offers.</summary>
    private static string Choose(IReadOnlyList<string> ours, string[] theirs, string what) =>
        ours.FirstOrDefault(theirs.Contains)
        ?? throw new SshWireNegotiationException($"no {what} in common (the server offers {string.Join(',', theirs).Replace(StrictServer, "", StringComparison.Ordinal).Trim(',')})");

    private byte[] AuthenticationRequest(string user, SshClientKey key)
    {
        // RFC 4252 section 7: the signature covers the session identifier and the request.
        var request = new SshWriter(1024).Byte(UserauthRequest).String(user).String("ssh-connection").String("publickey").Bool(true)
            .String(key.SignatureAlgorithm).String(key.PublicBlob);
        var signed = new SshWriter(1024).String(_sessionId).Raw(request.Written);
        return request.String(key.Sign(signed.Written)).ToArray();
    }

    private static byte[] Hash(HashAlgorithmName hash, ReadOnlySpan<byte> data) =>
        hash == HashAlgorithmName.SHA512 ? SHA512.HashData(data)
        : hash == HashAlgorithmName.SHA384 ? SHA384.HashData(data)
        : SHA256.HashData(data);

    /// <summary>RFC 4253 section 7.2: HASH(K || H || letter || session_id), extended with HASH(K || H || K1 ...) as needed.</summary>
    private byte[] Derive(HashAlgorithmName hash, SshWriter secret, byte[] exchangeHash, char letter, int length)
    {
        var input = new SshWriter(256).Raw(secret.Written).Raw(exchangeHash).Byte((byte)letter).Raw(_sessionId);
        var key = Hash(hash, input.Written);
        input.Clear();
        while (key.Length < length)
        {
            input.Raw(secret.Written).Raw(exchangeHash).Raw(key);
            key = [.. key, .. Hash(hash, input.Written)];
            input.Clear();
        }

        return key[..length];
    }

    private static SshWireException Unexpected(byte type, string stage) => new($"the server sent message {type} unexpected during {stage}");

    private static string Printable(ReadOnlySpan<byte> text)
    {
        var s = Encoding.UTF8.GetString(text[..Math.Min(text.Length, 200)]);
        return new string(s.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Trim();
    }
}
