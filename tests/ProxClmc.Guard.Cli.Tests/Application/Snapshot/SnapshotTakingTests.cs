using System.Text.Json;
using NSubstitute;
using NSubstitute.ExceptionExtensions;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Application.Snapshot;
using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.Application.Snapshot;

/// <summary>The snapshot use case: the manifest it writes, the outcome it gives, and no half snapshot after a failure.</summary>
public sealed class SnapshotTakingTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 13, 5, 1, TimeSpan.Zero);

    private readonly RecordingFolder _folder = new();
    private readonly ISnapshotFolders _folders = Substitute.For<ISnapshotFolders>();
    private readonly ISnapshotCollector _collector = Substitute.For<ISnapshotCollector>();

    public SnapshotTakingTests()
    {
        _folders.Prepare("snap").Returns(_folder);
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_snapshot_with_every_node_is_complete_and_its_manifest_is_the_one_written()
    {
        Collects(new SnapshotContents(["tree /etc/pve"], [new SnapshotNode("pve1", "local", "10.0.0.1", null)], [], GuestCount: 3));
        var result = await Take(allowPartial: false);

        Assert.Equal(SnapshotOutcome.Complete, result.Outcome);
        Assert.Equal("/srv/snap", result.Root);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(_folder.Manifest!), result.Manifest);
        using var manifest = JsonDocument.Parse(result.Manifest);
        Assert.Equal("2026-11-23T13:05:01Z", manifest.RootElement.GetProperty("time").GetString());
        Assert.Equal("9.9.9", manifest.RootElement.GetProperty("toolVersion").GetString());
        Assert.Equal(0, manifest.RootElement.GetProperty("failedNodes").GetArrayLength());
        Assert.Equal(0, _folder.Discarded);
    }

    [Theory]
    [InlineData(true, SnapshotOutcome.Partial)]
    [InlineData(false, SnapshotOutcome.Incomplete)]
    public async Task A_node_not_read_makes_the_snapshot_partial_only_when_asked(bool allowPartial, SnapshotOutcome expected)
    {
        Collects(new SnapshotContents(["corosync.conf /etc/pve/corosync.conf"], [new SnapshotNode("pve1", "local", null, null), new SnapshotNode("pve2", "ssh", "10.0.0.2", "connection refused")], [], GuestCount: 0));

        var result = await Take(allowPartial);

        Assert.Equal(expected, result.Outcome);
        Assert.Equal(["pve2"], result.FailedNodes.Select(n => n.Name));
        using var manifest = JsonDocument.Parse(result.Manifest);
        Assert.Equal("connection refused", manifest.RootElement.GetProperty("failedNodes")[0].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_guest_not_written_makes_the_snapshot_incomplete()
    {
        Collects(new SnapshotContents([], [new SnapshotNode("pve1", "local", null, null)], ["guest 100 on pve1 (not a config)"], GuestCount: 1));

        var result = await Take(allowPartial: false);

        Assert.Equal(SnapshotOutcome.Incomplete, result.Outcome);
    }

    [Fact]
    public async Task A_failure_before_the_manifest_leaves_nothing_behind()
    {
        _collector.CollectAsync(_folder, Arg.Any<CancellationToken>()).ThrowsAsync(new IOException("no corosync.conf"));

        var error = await Assert.ThrowsAsync<IOException>(() => Take(allowPartial: true));

        Assert.Equal("no corosync.conf", error.Message);
        Assert.Equal(1, _folder.Discarded);
        Assert.Null(_folder.Manifest);
        Assert.True(_folder.Disposed);
    }

    private void Collects(SnapshotContents contents) =>
        _collector.CollectAsync(_folder, Arg.Any<CancellationToken>()).Returns(contents);

    private Task<SnapshotResult> Take(bool allowPartial) =>
        new SnapshotTaking(_folders, _collector, new FixedClock(Now)).TakeAsync(new SnapshotRequest("snap", allowPartial, "9.9.9"), CancellationToken.None);

    /// <summary>A folder that keeps what it is asked to do (the port's writes take spans, which a substitute cannot record).</summary>
    private sealed class RecordingFolder : ISnapshotFolder
    {
        public string Root => "/srv/snap";

        public byte[]? Manifest { get; private set; }

        public int Discarded { get; private set; }

        public bool Disposed { get; private set; }

        public void Discard() => Discarded++;

        public void Dispose() => Disposed = true;

        public void WriteManifest(ReadOnlySpan<byte> bytes) => Manifest = bytes.ToArray();

        public void WriteCorosync(ReadOnlySpan<byte> bytes) => throw new NotSupportedException();

        public void WriteCustomModels(ReadOnlySpan<byte> bytes) => throw new NotSupportedException();

        public void WriteHa(string file, ReadOnlySpan<byte> bytes) => throw new NotSupportedException();

        public void WriteCpuInfo(string node, ReadOnlySpan<byte> bytes) => throw new NotSupportedException();

        public void WritePublishedFacts(string node, ReadOnlySpan<byte> bytes) => throw new NotSupportedException();

        public void WriteVmConfig(string node, int vmId, ReadOnlySpan<byte> bytes) => throw new NotSupportedException();

        public void WriteContainerConfig(string node, int vmId, ReadOnlySpan<byte> bytes) => throw new NotSupportedException();
    }
}
