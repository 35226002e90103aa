using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Facts;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Infrastructure.Tests.Facts;

/// <summary>
/// <c>facts --publish</c> writes &lt;pve_root&gt;/nodes/&lt;node&gt;/proxclmc-guard/facts.json atomically and creates no
/// other folder; readers take it when fresh. The document is the build machine's own (the qemu-facts snapshot).
/// </summary>
public sealed class PublishedFactsTests : IDisposable
{
    private static readonly string Recorded = Path.Combine(
        RepoPaths.Root, "tests", "ProxClmc.Guard.Cli.Tests", "Fixtures", "snapshots", "qemu-facts", "nodes", "kvmhost", "proxclmc-guard", "facts.json");

    private readonly string root = Directory.CreateTempSubdirectory("proxclmc-pve-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static NodeFactsDocument Document(DateTimeOffset at) =>
        NodeFactsDocument.Parse(File.ReadAllText(Recorded), Recorded).GetValueOrThrow() with { CollectedAt = at };

    [Fact]
    public async Task Publish_writes_into_the_nodes_own_folder_and_creates_nothing_else()
    {
        Directory.CreateDirectory(Path.Combine(root, "nodes", "kvmhost"));
        var at = new DateTimeOffset(2026, 12, 2, 1, 0, 0, TimeSpan.Zero);

        var path = await PublishedFacts.PublishAsync(root, Document(at), CancellationToken.None);

        Assert.Equal(Path.Combine(root, "nodes", "kvmhost", "proxclmc-guard", "facts.json"), path);
        Assert.Equal(
            [Path.Combine(root, "nodes"), Path.Combine(root, "nodes", "kvmhost"), Path.Combine(root, "nodes", "kvmhost", "proxclmc-guard")],
            Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        Assert.Equal([path], Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories));

        var node = new ClusterNode("kvmhost", 1, []);
        var fresh = PublishedFacts.TryRead(PhysicalFileSystem.Instance, root, node, at.AddMinutes(30), TimeSpan.FromHours(1), FactsSource.Published, out var problem);
        Assert.Null(problem);
        Assert.Equal("7.2.22", fresh!.Qemu!.Version);
        Assert.Equal("qemu", fresh.JudgedBy);

        var old = PublishedFacts.TryRead(PhysicalFileSystem.Instance, root, node, at.AddHours(2), TimeSpan.FromHours(1), FactsSource.Published, out problem);
        Assert.Null(old);
        Assert.Equal("published facts of kvmhost are from 2026-12-02 01:00:00Z, older than facts.max_age_seconds (3600)", problem);
    }

    [Fact]
    public async Task Publish_refuses_a_pve_root_without_the_nodes_folder_and_creates_nothing()
    {
        var error = await Assert.ThrowsAsync<IOException>(() => PublishedFacts.PublishAsync(root, Document(DateTimeOffset.UnixEpoch), CancellationToken.None));

        Assert.Contains("nodes/kvmhost: no such directory", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
    }

    [Fact]
    public async Task A_concurrent_reader_never_sees_a_partial_file()
    {
        Directory.CreateDirectory(Path.Combine(root, "nodes", "kvmhost"));
        var start = new DateTimeOffset(2026, 12, 2, 1, 0, 0, TimeSpan.Zero);
        await PublishedFacts.PublishAsync(root, Document(start), CancellationToken.None);
        var node = new ClusterNode("kvmhost", 1, []);
        using var stop = new CancellationTokenSource();
        var reads = 0;
        var failures = new List<string>();
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (PublishedFacts.TryRead(PhysicalFileSystem.Instance, root, node, start, null, FactsSource.Published, out var problem) is null)
                {
                    lock (failures)
                    {
                        failures.Add(problem ?? "no facts");
                    }
                }

                Interlocked.Increment(ref reads);
            }
        });

        // Start writing only once the reader is reading: 100 writes can finish before a thread-pool thread starts.
        for (var wait = 0; wait < 1000 && Volatile.Read(ref reads) == 0 && !reader.IsCompleted; wait++)
        {
            await Task.Delay(10);
        }

        for (var i = 1; i <= 100; i++)
        {
            await PublishedFacts.PublishAsync(root, Document(start.AddSeconds(i)), CancellationToken.None);
        }

        await stop.CancelAsync();
        await reader;
        Assert.True(reads > 0);
        Assert.Empty(failures);
        Assert.Single(Directory.EnumerateFiles(Path.Combine(root, "nodes", "kvmhost", "proxclmc-guard")));
    }
}
