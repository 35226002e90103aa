using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ProxClmc.Guard.Infrastructure.IO;

/// <summary>
/// stdout and stderr written straight to their file descriptors, and the terminal's width asked with
/// <c>TIOCGWINSZ</c>, without <see cref="Console"/>: on Unix the first use of <c>Console.Out</c>, a console stream, the
/// window size or <c>Console.CancelKeyPress</c> initialises .NET's terminal support, which writes the terminfo
/// <c>keypad_xmit</c> string (<c>ESC[?1h ESC=</c>) to the terminal and leaves it in keypad mode after the process ends,
/// even when stdout and stderr go to /dev/null. A command-line tool has no business changing the terminal.
/// </summary>
public static partial class StandardStreams
{
    public const int Output = 1;
    public const int Error = 2;

    /// <summary>TIOCGWINSZ (asm-generic/ioctls.h), the same on x86-64 and arm64.</summary>
    private const nuint TiocGWinSz = 0x5413;

    /// <summary>
    /// A stream over <paramref name="fd"/> that does not own it (closing it leaves the descriptor open). It calls
    /// write(2), as Console's own stream does: a FileStream would pwrite at a position of its own and overwrite what
    /// the shell's next command writes to the same file (<c>(a; b) &gt; out</c>).
    /// </summary>
    public static Stream Open(int fd) => OperatingSystem.IsLinux() ? new DescriptorStream(fd) : new FileStream(new SafeFileHandle(fd, ownsHandle: false), FileAccess.Write, bufferSize: 0);

    /// <summary>A UTF-8 writer (no BOM) over <paramref name="fd"/>, flushed after every write as Console's own.</summary>
    public static TextWriter Writer(int fd) =>
        TextWriter.Synchronized(new StreamWriter(Open(fd), new UTF8Encoding(false), 16 * 1024) { AutoFlush = true });

    /// <summary>The columns of the terminal on stdout; null when stdout is not a terminal or does not say.</summary>
    public static int? TerminalColumns() =>
        OperatingSystem.IsLinux() && Ioctl(Output, TiocGWinSz, out var size) == 0 && size.Columns > 0 ? size.Columns : null;

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, nuint request, out WinSize size);

    private sealed class DescriptorStream(int fd) : Stream
    {
        private const int Eintr = 4;
        private const int Epipe = 32;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override unsafe void Write(ReadOnlySpan<byte> buffer)
        {
            fixed (byte* start = buffer)
            {
                var done = 0;
                while (done < buffer.Length)
                {
                    var written = StandardStreams.Write(fd, start + done, (nuint)(buffer.Length - done));
                    if (written >= 0)
                    {
                        done += (int)written;
                        continue;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Eintr)
                    {
                        continue;
                    }

                    // The reader went away (| head): what is left has nowhere to go, as with Console's own stream.
                    if (errno == Epipe)
                    {
                        return;
                    }

                    throw new IOException($"cannot write to file descriptor {fd}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
                }
            }
        }
    }

    /// <summary>struct winsize (asm-generic/termios.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }
}
