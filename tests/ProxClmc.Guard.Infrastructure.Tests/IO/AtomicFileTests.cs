using System.Security.Cryptography;
using System.Text;
using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Infrastructure.Tests.IO;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AtomicFileTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("proxclmc-atomic-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary>A report that can tell whether it is whole: its last line is the SHA-256 of everything before it.</summary>
    private static string Report(int run, int lines)
    {
        var body = new StringBuilder();
        for (var i = 0; i < lines; i++)
        {
            body.Append(CultureInfoInvariant($"proxclmc_guard_guest_unsafe{{vmid=\"{100 + i}\",run=\"{run}\"}} 1\n"));
        }

        var text = body.ToString();
        return text + "# sha256 " + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))) + "\n";
    }

    private static string CultureInfoInvariant(FormattableString s) => FormattableString.Invariant(s);

    private static bool IsWhole(string text)
    {
        var marker = text.LastIndexOf("# sha256 ", StringComparison.Ordinal);
        if (marker < 0 || !text.EndsWith('\n'))
        {
            return false;
        }

        var expected = text[(marker + 9)..].TrimEnd('\n');
        return expected == Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text[..marker])));
    }

    [Fact]
    public async Task Readers_never_see_a_partial_report_while_runs_rewrite_it()
    {
        var path = Path.Combine(directory, "proxclmc-guard.prom");
        await AtomicFile.WriteAllTextAsync(path, Report(0, 10));
        using var stop = new CancellationTokenSource();
        var reads = 0;
        var distinct = new HashSet<string>();

        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var text = File.ReadAllText(path);
                Assert.True(IsWhole(text), $"partial report read ({text.Length} chars)");
                distinct.Add(text[^20..]);
                Interlocked.Increment(ref reads);
            }
        });

        // Start rewriting only once the reader is reading: the writes can finish before a thread-pool thread starts.
        for (var wait = 0; wait < 1000 && Volatile.Read(ref reads) == 0 && !reader.IsCompleted; wait++)
        {
            await Task.Delay(10);
        }

        for (var run = 1; run <= 300; run++)
        {
            // Sizes alternate between a few hundred bytes and ~200 KiB so a torn read would show.
            await AtomicFile.WriteAllTextAsync(path, Report(run, run % 2 == 0 ? 4000 : 5));
        }

        await stop.CancelAsync();
        await reader;

        Assert.True(reads > 0);
        Assert.True(IsWhole(await File.ReadAllTextAsync(path)));
        Assert.Single(Directory.GetFiles(directory));
    }

    [Fact]
    public void The_same_check_catches_a_file_written_in_place()
    {
        // Guards the test above: a torn (truncated) report is recognised as such.
        var whole = Report(1, 100);

        Assert.True(IsWhole(whole));
        Assert.False(IsWhole(whole[..(whole.Length / 2)]));
        Assert.False(IsWhole(string.Empty));
    }

    [Fact]
    public async Task The_report_is_readable_by_node_exporter()
    {
        var path = Path.Combine(directory, "report.json");
        File.WriteAllText(path, "old");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        await AtomicFile.WriteAllTextAsync(path, "{\"schemaVersion\":1}");

        Assert.Equal("{\"schemaVersion\":1}", await File.ReadAllTextAsync(path));
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task A_failed_write_leaves_the_old_report_and_no_temporary_file()
    {
        var path = Path.Combine(directory, "report.json");
        await AtomicFile.WriteAllTextAsync(path, "old");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AtomicFile.WriteAllTextAsync(path, "new", cancelled.Token));

        Assert.Equal("old", await File.ReadAllTextAsync(path));
        Assert.Equal([path], Directory.GetFiles(directory));
    }

    [Fact]
    public async Task A_missing_report_directory_is_an_error_naming_it()
    {
        var path = Path.Combine(directory, "missing", "report.json");

        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => AtomicFile.WriteAllTextAsync(path, "x"));

        Assert.Contains(Path.Combine(directory, "missing"), error.Message);
    }
}
