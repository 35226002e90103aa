using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ProxClmc.Guard.Infrastructure.Ssh.Wire;

/// <summary>
/// The SSH binary packet protocol (RFC 4253 sections 4 and 6) over one socket, asynchronously: no thread waits for a
/// peer. Every packet length, padding length and tag is checked before a byte of the payload is used; the sequence
/// numbers of both directions are kept (and reset at NEWKEYS under strict key exchange).
/// </summary>
internal sealed class SshWireTransport : IDisposable
{
    /// <summary>The largest packet accepted (RFC 4253 section 6.1: every implementation handles 35000 bytes).</summary>
    public const int MaxPacketLength = 35000;

    /// <summary>The longest identification line accepted, CR LF included (RFC 4253 section 4.2).</summary>
    public const int MaxVersionLine = 255;

    /// <summary>Bytes of other lines a server may send before its identification line.</summary>
    public const int MaxPreamble = 16 * 1024;

    private readonly Socket _socket;
    private readonly byte[] _in = new byte[64 * 1024];
    private readonly byte[] _plain = new byte[MaxPacketLength];
    private readonly SshWriter _out = new(4096);
    private int _inStart;
    private int _inEnd;
    private AesGcmPacketCipher? _sendCipher;
    private AesGcmPacketCipher? _receiveCipher;

    private SshWireTransport(Socket socket) => _socket = socket;

    public uint SendSequence { get; private set; }

    public uint ReceiveSequence { get; private set; }

    public static async Task<SshWireTransport> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            return new SshWireTransport(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void QueueLine(string line) => _out.Raw(Encoding.ASCII.GetBytes(line + "\r\n"));

    /// <summary>The server's identification line without CR LF; lines before it are skipped within <see cref="MaxPreamble"/>.</summary>
    public async Task<string> ReadVersionAsync(CancellationToken cancellationToken)
    {
        var skipped = 0;
        while (true)
        {
            var newline = -1;
            while ((newline = _in.AsSpan(_inStart, _inEnd - _inStart).IndexOf((byte)'\n')) < 0)
            {
                if (_inEnd - _inStart >= MaxVersionLine + 1024)
                {
                    throw new SshWireException("the server sent a line too long for an SSH identification");
                }

                await FillAsync(_inEnd - _inStart + 1, cancellationToken).ConfigureAwait(false);
            }

            var line = _in.AsSpan(_inStart, newline);
            _inStart += newline + 1;
            if (line.EndsWith("\r"u8))
            {
                line = line[..^1];
            }

            if (line.StartsWith("SSH-"u8))
            {
                if (line.Length + 2 > MaxVersionLine)
                {
                    throw new SshWireException("the server's SSH identification is longer than 255 bytes");
                }

                foreach (var b in line)
                {
                    if (b < 0x20 || b > 0x7e)
                    {
                        throw new SshWireException("the server's SSH identification holds a control character");
                    }
                }

                if (!line.StartsWith("SSH-2.0-"u8) && !line.StartsWith("SSH-1.99-"u8))
                {
                    throw new SshWireNegotiationException("the server does not speak SSH protocol 2.0");
                }

                return Encoding.ASCII.GetString(line);
            }

            skipped += newline + 1;
            if (skipped > MaxPreamble)
            {
                throw new SshWireException($"the server sent more than {MaxPreamble} bytes before its SSH identification");
            }
        }
    }

    /// <summary>Frames (and encrypts, once keys are in use) one packet; nothing is sent until <see cref="FlushAsync"/>.</summary>
    public void Queue(ReadOnlySpan<byte> payload)
    {
        // RFC 4253 section 6: at least 4 bytes of padding, the length fields aligned to the block (AES-GCM leaves the
        // 4-byte length out of the alignment, PROTOCOL section 1.6).
        var block = _sendCipher is null ? 8 : 16;
        var aligned = (_sendCipher is null ? 4 : 0) + 1 + payload.Length;
        var padding = block - (aligned % block);
        if (padding < 4)
        {
            padding += block;
        }

        var length = 1 + payload.Length + padding;
        var packet = _out.Grow(4 + length + (_sendCipher is null ? 0 : AesGcmPacketCipher.TagSize));
        BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)length);
        packet[4] = (byte)padding;
        payload.CopyTo(packet[5..]);
        RandomNumberGenerator.Fill(packet.Slice(5 + payload.Length, padding));
        if (_sendCipher is not null)
        {
            var body = packet.Slice(4, length);
            _sendCipher.Encrypt(packet[..4], body, body, packet.Slice(4 + length, AesGcmPacketCipher.TagSize));
        }

        SendSequence = unchecked(SendSequence + 1);
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_out.Length == 0)
        {
            return;
        }

        var data = _out.ToArray();
        _out.Clear();
        var sent = 0;
        while (sent < data.Length)
        {
            sent += await _socket.SendAsync(data.AsMemory(sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The next packet's payload, checked and decrypted; throws <see cref="SshWireException"/> on any violation.</summary>
    public async ValueTask<byte[]> ReadPacketAsync(CancellationToken cancellationToken)
    {
        await FillAsync(4, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadUInt32BigEndian(_in.AsSpan(_inStart));
        var encrypted = _receiveCipher is not null;
        var valid = encrypted
            ? length >= 16 && length <= MaxPacketLength && length % 16 == 0
            : length >= 12 && length <= MaxPacketLength && (length + 4) % 8 == 0;
        if (!valid)
        {
            throw new SshWireException($"the server sent a packet length of {length} bytes, outside the SSH limits; refusing");
        }

        var tagSize = encrypted ? AesGcmPacketCipher.TagSize : 0;
        await FillAsync(4 + (int)length + tagSize, cancellationToken).ConfigureAwait(false);
        var packet = _in.AsSpan(_inStart, 4 + (int)length + tagSize);
        var plain = _plain.AsSpan(0, (int)length);
        if (encrypted)
        {
            if (!_receiveCipher!.Decrypt(packet[..4], packet.Slice(4, (int)length), packet[(4 + (int)length)..], plain))
            {
                throw new SshWireException("a packet failed its integrity check (corrupted on the way, or altered by someone on the path); refusing");
            }
        }
        else
        {
            packet.Slice(4, (int)length).CopyTo(plain);
        }

        _inStart += packet.Length;
        ReceiveSequence = unchecked(ReceiveSequence + 1);
        var padding = plain[0];
        if (padding < 4 || padding > length - 2)
        {
            throw new SshWireException($"the server sent a packet with {padding} bytes of padding, outside the SSH limits; refusing");
        }

        var payload = plain.Slice(1, (int)length - 1 - padding).ToArray();
        plain.Clear();
        return payload;
    }

    /// <summary>Keys the sending direction (after this side's NEWKEYS); <paramref name="resetSequence"/> under strict key exchange.</summary>
    public void StartSending(AesGcmPacketCipher cipher, bool resetSequence)
    {
        _sendCipher = cipher;
        if (resetSequence)
        {
            SendSequence = 0;
        }
    }

    /// <summary>Keys the receiving direction (after the peer's NEWKEYS).</summary>
    public void StartReceiving(AesGcmPacketCipher cipher, bool resetSequence)
    {
        _receiveCipher = cipher;
        if (resetSequence)
        {
            ReceiveSequence = 0;
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _sendCipher?.Dispose();
        _receiveCipher?.Dispose();
        _out.Clear();
        CryptographicOperations.ZeroMemory(_plain);
    }

    private async ValueTask FillAsync(int count, CancellationToken cancellationToken)
    {
        while (_inEnd - _inStart < count)
        {
            if (_inStart + count > _in.Length)
            {
                Buffer.BlockCopy(_in, _inStart, _in, 0, _inEnd - _inStart);
                _inEnd -= _inStart;
                _inStart = 0;
            }

            var read = await _socket.ReceiveAsync(_in.AsMemory(_inEnd), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new SshWireException("the server closed the connection");
            }

            _inEnd += read;
        }
    }
}
