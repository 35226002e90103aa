using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace ProxClmc.Guard.Testing;

/// <summary>
/// A real systemd-journald of the test's own: a journal namespace (systemd 245+) started as a plain process, so it
/// needs neither systemd as PID 1 nor a running system journal, and cannot mix with anyone else's entries.
/// The namespace listens on <see cref="SocketPath"/> (/run/systemd/journal.&lt;namespace&gt;/socket), stores under
/// /var/log/journal/&lt;machine-id&gt;.&lt;namespace&gt;, and is read with <c>journalctl --namespace=</c>.
/// <para>
/// Needs: Debian's <c>systemd</c> package (/lib/systemd/systemd-journald and journalctl), root (journald opens
/// /run/systemd and /var/log/journal), and a non-empty /etc/machine-id. When any of these is missing,
/// <see cref="IsAvailable"/> is false and <see cref="WhyUnavailable"/> says why; when they are present but journald does
/// not come up, <see cref="Start"/> throws: a broken journald is a failure, not a reason to skip.
/// </para>
/// </summary>
public sealed class JournaldFixture : IDisposable
{
    private static readonly string[] JournaldCandidates = ["/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald"];

    private readonly Process? process;
    private readonly StringBuilder journaldOutput = new();

    private JournaldFixture(string whyUnavailable)
    {
        WhyUnavailable = whyUnavailable;
        Namespace = string.Empty;
        SocketPath = string.Empty;
    }

    private JournaldFixture(Process process, string journalNamespace, string socketPath)
    {
        this.process = process;
        Namespace = journalNamespace;
        SocketPath = socketPath;
    }

    public bool IsAvailable => process is not null;

    public string? WhyUnavailable { get; }

    public string Namespace { get; }

    /// <summary>Give this to <c>JournaldSinkOptions.SocketPath</c> (or a child's PROXCLMC_GUARD_JOURNAL_SOCKET).</summary>
    public string SocketPath { get; }

    public static string? FindJournald() => JournaldCandidates.FirstOrDefault(File.Exists);

    public static string? FindJournalctl() =>
        new[] { "/usr/bin/journalctl", "/bin/journalctl" }.FirstOrDefault(File.Exists);

    public static JournaldFixture Start()
    {
        var journald = FindJournald();
        if (journald is null)
        {
            return new JournaldFixture("systemd-journald not installed (apt-get install -y systemd)");
        }

        if (FindJournalctl() is null)
        {
            return new JournaldFixture("journalctl not installed (apt-get install -y systemd)");
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return new JournaldFixture("systemd-journald needs root to create /run/systemd/journal.<namespace> and its journal files");
        }

        if (!File.Exists("/etc/machine-id") || File.ReadAllText("/etc/machine-id").Trim().Length == 0)
        {
            // Minimal container images ship without one; journald then cannot name its journal files.
            return new JournaldFixture("no /etc/machine-id, which journald names its files after (systemd-machine-id-setup creates one)");
        }

        var journalNamespace = "pxg" + Guid.NewGuid().ToString("N")[..10];
        var socketPath = $"/run/systemd/journal.{journalNamespace}/socket";
        var start = new ProcessStartInfo(journald)
        {
            ArgumentList = { journalNamespace },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {journald}");
        var fixture = new JournaldFixture(process, journalNamespace, socketPath);
        process.OutputDataReceived += (_, e) => fixture.Capture(e.Data);
        process.ErrorDataReceived += (_, e) => fixture.Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(socketPath))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var output = fixture.Output;
                fixture.Dispose();
                throw new InvalidOperationException(
                    $"{journald} {journalNamespace} did not open {socketPath} (exit {(process.HasExited ? process.ExitCode : "none")}): {output}");
            }

            Thread.Sleep(50);
        }

        return fixture;
    }

    /// <summary>What journald printed (its own diagnostics).</summary>
    public string Output
    {
        get
        {
            lock (journaldOutput)
            {
                return journaldOutput.ToString();
            }
        }
    }

    /// <summary><c>journalctl --namespace=… -o json --all</c> with the given matches (<c>FIELD=value</c>), one dictionary
    /// per entry; binary fields come back decoded as UTF-8.</summary>
    public List<Dictionary<string, string>> Query(params string[] matches)
    {
        var start = new ProcessStartInfo(FindJournalctl()!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { $"--namespace={Namespace}", "-o", "json", "--all", "--no-pager" }.Concat(matches))
        {
            start.ArgumentList.Add(argument);
        }

        using var journalctl = Process.Start(start)!;
        var stdout = journalctl.StandardOutput.ReadToEndAsync();
        var stderr = journalctl.StandardError.ReadToEndAsync();
        journalctl.WaitForExit();
        var text = stdout.GetAwaiter().GetResult();

        // journalctl exits 1 with "-- No entries --" on some versions; only a message on stderr is a real failure.
        if (journalctl.ExitCode != 0 && text.Length == 0 && !stderr.GetAwaiter().GetResult().Contains("No entries", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"journalctl exited {journalctl.ExitCode}: {stderr.GetAwaiter().GetResult()}");
        }

        var entries = new List<Dictionary<string, string>>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var document = JsonDocument.Parse(line);
            var entry = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                entry[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString()!,
                    JsonValueKind.Array when property.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number) =>
                        Encoding.UTF8.GetString(property.Value.EnumerateArray().Select(e => e.GetByte()).ToArray()),
                    _ => property.Value.GetRawText(),
                };
            }

            entries.Add(entry);
        }

        return entries;
    }

    /// <summary>Queries until at least <paramref name="expected"/> entries match: journald takes datagrams
    /// asynchronously, so a query right after sending may not see them yet.</summary>
    public List<Dictionary<string, string>> WaitFor(int expected, params string[] matches)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var entries = Query(matches);
            if (entries.Count >= expected || DateTime.UtcNow > deadline)
            {
                return entries;
            }

            if (process!.HasExited)
            {
                throw new InvalidOperationException($"systemd-journald {Namespace} exited ({process.ExitCode}): {Output}");
            }

            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
        var machineId = File.Exists("/etc/machine-id") ? File.ReadAllText("/etc/machine-id").Trim() : string.Empty;
        foreach (var directory in new[]
                 {
                     $"/run/systemd/journal.{Namespace}",
                     $"/var/log/journal/{machineId}.{Namespace}",
                     $"/run/log/journal/{machineId}.{Namespace}",
                 })
        {
            try
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
            catch (IOException)
            {
            }
        }
    }

    private void Capture(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (journaldOutput)
        {
            journaldOutput.AppendLine(line);
        }
    }
}
