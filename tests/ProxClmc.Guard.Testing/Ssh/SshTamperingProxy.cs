using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ProxClmc.Guard.Testing.Ssh;

/// <summary>
/// An attacker on the path between a client and a real sshd: forwards the client's bytes untouched and alters the
/// server's side of the key exchange as <see cref="SshTamper"/> says. The cleartext packets before NEWKEYS are parsed
/// (RFC 4253 section 6); everything after the tampering is forwarded as is.
/// </summary>
public sealed class SshTamperingProxy : IDisposable
{
    private readonly TcpListener _listener;
    private readonly List<TcpClient> _connections = [];
    private readonly Lock _lock = new();

    public SshTamperingProxy(string listenAddress, int port, string serverAddress, SshTamper tamper)
    {
        _listener = new TcpListener(IPAddress.Parse(listenAddress), port);
        _listener.Start();
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync();
                    _ = Task.Run(() => RelayAsync(client, serverAddress, port, tamper));
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                // Stopped by Dispose.
            }
        });
    }

    public void Dispose()
    {
        _listener.Stop();
        lock (_lock)
        {
            foreach (var c in _connections)
            {
                c.Dispose();
            }
        }
    }

    private async Task RelayAsync(TcpClient client, string serverAddress, int port, SshTamper tamper)
    {
        var server = new TcpClient();
        lock (_lock)
        {
            _connections.Add(client);
            _connections.Add(server);
        }

        try
        {
            await server.ConnectAsync(IPAddress.Parse(serverAddress), port);
            var fromClient = client.GetStream();
            var fromServer = server.GetStream();
            _ = fromClient.CopyToAsync(fromServer).ContinueWith(_ => server.Client.Shutdown(SocketShutdown.Send), TaskScheduler.Default);

            // The identification line passes unchanged.
            int b;
            do
            {
                b = fromServer.ReadByte();
                if (b < 0)
                {
                    return;
                }

                fromClient.WriteByte((byte)b);
            }
            while (b != '\n');

            if (tamper == SshTamper.OversizedPacketLength)
            {
                await fromClient.WriteAsync(new byte[] { 0x7f, 0xff, 0xff, 0xf0, 0, 0, 0, 0, 0, 0, 0, 0 });
                await Task.Delay(Timeout.Infinite, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(5));
                return;
            }

            if (tamper == SshTamper.IgnoreBeforeKeyExchange)
            {
                // length 12, padding 6, SSH_MSG_IGNORE with an empty string.
                await fromClient.WriteAsync(new byte[] { 0, 0, 0, 12, 6, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 });
            }

            var header = new byte[4];
            while (true)
            {
                await fromServer.ReadExactlyAsync(header);
                var length = BinaryPrimitives.ReadUInt32BigEndian(header);
                if (length > 256 * 1024)
                {
                    return;
                }

                var body = new byte[length];
                await fromServer.ReadExactlyAsync(body);
                var payloadLength = (int)length - 1 - body[0];
                var type = body[1];
                if (tamper == SshTamper.CorruptHostKeySignature && type == 31)
                {
                    // The signature is the last field of the reply: flip a bit of its last byte.
                    body[payloadLength] ^= 1;
                }

                await fromClient.WriteAsync(header);
                await fromClient.WriteAsync(body);
                if (type == 21)
                {
                    break;
                }
            }

            if (tamper == SshTamper.CorruptEncryptedPacket)
            {
                var first = new byte[16];
                await fromServer.ReadExactlyAsync(first);
                first[10] ^= 1;
                await fromClient.WriteAsync(first);
            }

            await fromServer.CopyToAsync(fromClient);
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException or EndOfStreamException or TimeoutException)
        {
            // Either side went away: the test reads what the client made of it.
        }
        finally
        {
            client.Dispose();
            server.Dispose();
        }
    }
}
