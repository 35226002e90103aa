using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using ProxClmc.Guard.Core.Facts;

namespace ProxClmc.Guard.Infrastructure.Qemu;

/// <summary>
/// Starts QEMU with no guest at all (<c>-machine none -accel kvm -nodefaults -display none -S -qmp stdio</c>) and asks
/// over QMP on its stdin and stdout: no monitor socket, no pid file, no VM name, so running VMs are never touched.
/// QEMU quits after the answers; it is killed when it overstays the timeout.
/// </summary>
public sealed class QemuProbe(QemuProbeOptions options) : INodeQemuProbe
{
    public const string DefaultBinary = "/usr/bin/kvm";
    public const string FallbackBinary = "qemu-system-x86_64";

    private const int MaxStderrChars = 4096;

    public static IReadOnlyList<string> Arguments { get; } =
        ["-machine", "none", "-accel", "kvm", "-nodefaults", "-display", "none", "-S", "-qmp", "stdio"];

    /// <summary>The binary to start, or the reason there is none.</summary>
    public (string? Binary, string? Error) ResolveBinary()
    {
        if (options.Binary is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? (configured, null) : (null, $"{configured} ([facts] qemu_binary): no such file");
        }

        if (File.Exists(DefaultBinary))
        {
            return (DefaultBinary, null);
        }

        foreach (var dir in (options.SearchPath ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, FallbackBinary);
            if (Path.IsPathRooted(candidate) && File.Exists(candidate))
            {
                return (candidate, null);
            }
        }

        return (null, $"no QEMU binary: neither {DefaultBinary} nor {FallbackBinary} on PATH (install qemu-system-x86, or set [facts] qemu_binary)");
    }

    public async Task<QemuProbeResult> ProbeAsync(CancellationToken cancellationToken)
    {
        var (binary, error) = ResolveBinary();
        if (binary is null)
        {
            return new QemuProbeResult(null, error);
        }

        if (!File.Exists(options.KvmDevice))
        {
            return new QemuProbeResult(null, $"{options.KvmDevice} does not exist: KVM is not available on this host, so QEMU cannot say what a VM could run here");
        }

        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("not started");
        }
        catch (Win32Exception e)
        {
            return new QemuProbeResult(null, $"{binary}: cannot start: {e.Message}");
        }

        using (process)
        {
            var stderr = new StringBuilder();
            process.ErrorDataReceived += (_, e) =>
            {
                lock (stderr)
                {
                    if (e.Data is { } line && stderr.Length < MaxStderrChars)
                    {
                        stderr.AppendLine(line);
                    }
                }
            };
            process.BeginErrorReadLine();

            var transcript = new StringBuilder();
            var answered = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                try
                {
                    foreach (var command in QmpAnswerParser.Commands)
                    {
                        await process.StandardInput.WriteLineAsync(command.AsMemory(), timeout.Token).ConfigureAwait(false);
                    }

                    await process.StandardInput.FlushAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // QEMU exited before reading its stdin (a bad accelerator, a KVM error): its stderr says why, below.
                }

                while (!QmpAnswerParser.IsComplete(answered))
                {
                    var line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
                    if (line is null)
                    {
                        break;
                    }

                    if (transcript.Length + line.Length > QmpAnswerParser.MaxTranscriptBytes)
                    {
                        return new QemuProbeResult(null, $"{binary}: answer larger than {QmpAnswerParser.MaxTranscriptBytes} bytes", transcript.ToString());
                    }

                    transcript.Append(line).Append('\n');
                    if (QmpAnswerParser.AnswerId(line) is { } id)
                    {
                        answered.Add(id);
                    }
                }

                // The quit command ends QEMU; give it the rest of the time, then it is killed below.
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Kill(process);
                if (!QmpAnswerParser.IsComplete(answered))
                {
                    return new QemuProbeResult(null, $"{binary}: no complete answer within {options.Timeout.TotalSeconds:0.#} s", transcript.ToString());
                }
            }
            finally
            {
                Kill(process);
            }

            if (!QmpAnswerParser.IsComplete(answered))
            {
                string why;
                lock (stderr)
                {
                    why = FirstLine(stderr.ToString());
                }

                return new QemuProbeResult(null, $"{binary} ended without an answer" + (why.Length > 0 ? $": {why}" : ""), transcript.ToString());
            }

            var parsed = QmpAnswerParser.Parse(transcript.ToString(), binary, binary);
            return parsed.IsSuccess
                ? new QemuProbeResult(parsed.Value, null, transcript.ToString())
                : new QemuProbeResult(null, parsed.Error.ToString(), transcript.ToString());
        }
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        return line.Length > 300 ? line[..300] : line;
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (Win32Exception)
        {
        }
    }
}
