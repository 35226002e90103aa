using System.Buffers;
using System.IO.Compression;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// Reads an API answer with a ceiling on what it may cost: the bytes on the wire and, for a gzip answer, the bytes
/// after decompression, so neither a huge body nor a small gzip bomb (2 MB that inflate to 2 GB) can fill memory.
/// Decompression happens here, not in the HTTP handler, because only here both sizes can be counted.
/// </summary>
internal static class BoundedBody
{
    /// <summary>Largest answer accepted, on the wire and decompressed: /cluster/resources of 10,000 guests is ~5 MB.</summary>
    public const int MaxBytes = 64 * 1024 * 1024;

    /// <summary>Largest error body read (for its "errors" object); the rest is not read at all.</summary>
    public const int MaxErrorBytes = 64 * 1024;

    /// <summary>
    /// The whole (decompressed) body. Throws <see cref="AnswerTooLargeException"/> when either size passes
    /// <paramref name="maxBytes"/>.
    /// </summary>
    public static async Task<byte[]> ReadAsync(HttpResponseMessage response, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var (body, _) = await ReadCoreAsync(response, maxBytes, truncate: false, cancellationToken).ConfigureAwait(false);
        return body;
    }

    /// <summary>At most <paramref name="maxBytes"/> of the (decompressed) body, cut short silently: for error details.</summary>
    public static async Task<(byte[] Body, bool Truncated)> ReadPrefixAsync(HttpResponseMessage response, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        return await ReadCoreAsync(response, maxBytes, truncate: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The whole (decompressed) body in a buffer rented from the shared pool, read straight into it (no copy, no
    /// per-request chunk): dispose the result to give the buffer back. Same limits and messages as
    /// <see cref="ReadAsync"/>.
    /// </summary>
    public static async Task<PooledBody> ReadPooledAsync(HttpResponseMessage response, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var declared = response.Content.Headers.ContentLength;
        if (declared is long tooLarge && tooLarge > maxBytes)
        {
            throw new AnswerTooLargeException($"answer of {tooLarge} bytes, over the limit of {maxBytes} bytes; refused");
        }

        await using var wire = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using var counted = new CappedStream(wire, maxBytes, "on the wire");
        var gzip = false;
        var other = false;
        foreach (var encoding in response.Content.Headers.ContentEncoding)
        {
            if (encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) && !gzip)
            {
                gzip = true;
            }
            else if (!encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            {
                other = true;
            }
        }

        if (other)
        {
            var encodings = response.Content.Headers.ContentEncoding.Where(e => !e.Equals("identity", StringComparison.OrdinalIgnoreCase));
            throw new AnswerTooLargeException($"answer in an encoding that was not asked for ({string.Join(", ", encodings)}); refused");
        }

        await using Stream body = gzip ? new GZipStream(counted, CompressionMode.Decompress, leaveOpen: true) : counted;

        // One byte more than the declared length, so that the end of the body is seen without growing the buffer.
        var size = declared is long d && !gzip ? (int)Math.Min(d + 1, (long)maxBytes + 1) : Math.Min(16 * 1024, maxBytes + 1);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, (long)maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(grown);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = grown;
                }

                // Never more than one byte past the limit: that byte is what tells an answer over it.
                var want = (int)Math.Min(buffer.Length - length, (long)maxBytes + 1 - length);
                var read = await body.ReadAsync(buffer.AsMemory(length, want), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                if ((long)length + read > maxBytes)
                {
                    throw new AnswerTooLargeException($"answer larger than {maxBytes} bytes{(gzip ? " after decompression" : "")}; refused");
                }

                length += read;
            }
        }
        catch (InvalidDataException e)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new AnswerTooLargeException($"answer is not valid gzip ({e.Message}); refused");
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        return new PooledBody(buffer, length);
    }

    private static async Task<(byte[] Body, bool Truncated)> ReadCoreAsync(HttpResponseMessage response, int maxBytes, bool truncate, CancellationToken cancellationToken)
    {
        if (!truncate && response.Content.Headers.ContentLength is long declared && declared > maxBytes)
        {
            throw new AnswerTooLargeException($"answer of {declared} bytes, over the limit of {maxBytes} bytes; refused");
        }

        await using var wire = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using var counted = new CappedStream(wire, maxBytes, "on the wire");
        var gzip = response.Content.Headers.ContentEncoding.Any(e => e.Equals("gzip", StringComparison.OrdinalIgnoreCase));
        var encodings = response.Content.Headers.ContentEncoding.Where(e => !e.Equals("identity", StringComparison.OrdinalIgnoreCase)).ToList();
        if (encodings.Count > (gzip ? 1 : 0))
        {
            throw new AnswerTooLargeException($"answer in an encoding that was not asked for ({string.Join(", ", encodings)}); refused");
        }

        await using Stream body = gzip ? new GZipStream(counted, CompressionMode.Decompress, leaveOpen: true) : counted;
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    if (truncate)
                    {
                        buffer.Write(chunk, 0, (int)(maxBytes - buffer.Length));
                        return (buffer.ToArray(), true);
                    }

                    throw new AnswerTooLargeException($"answer larger than {maxBytes} bytes{(gzip ? " after decompression" : "")}; refused");
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (AnswerTooLargeException) when (truncate)
        {
            return (buffer.ToArray(), true);
        }
        catch (InvalidDataException e)
        {
            throw new AnswerTooLargeException($"answer is not valid gzip ({e.Message}); refused");
        }

        return (buffer.ToArray(), false);
    }

    /// <summary>Counts what is read from the wire and stops at the limit.</summary>
    private sealed class CappedStream(Stream inner, long limit, string what) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _read;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            _read += read;
            return _read > limit ? throw new AnswerTooLargeException($"answer larger than {limit} bytes {what}; refused") : read;
        }
    }
}
