using ProxClmc.Guard.Testing;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.History;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Core.Policy;
using Xunit.Abstractions;

namespace ProxClmc.Guard.Cli.Tests.History;

/// <summary>
/// The state of the README's scale cluster (64 nodes of the corpus CPUs, 10,000 guests) with a full history: it must
/// stay well under pmxcfs's 1 MiB per file. Prints the measured size (README "Changes and history").
/// </summary>
public sealed class StateSizeTests(ITestOutputHelper output)
{
    [Fact]
    public void The_state_of_64_nodes_and_10000_guests_with_a_full_history_fits_pmxcfs_with_room_to_spare()
    {
        var facts = ScaleInputs.NodeFactsOf(64);
        var baseline = ScaleInputs.BaselineOf(facts);
        var report = new ComplianceEvaluator(baseline, CpuCatalog.Default, new GuardPolicy(), ScaleInputs.LabCustomModels())
            .EvaluateAll(ScaleInputs.GuestsOf(10_000, 64), GuardRun.Now);
        var state = ClusterState.Of("scale", baseline, report, CpuCatalog.Default, GuardRun.Now);
        var bare = ClusterStateJson.Write(state).Length;

        // A full history: 200 of the longest changes, a node losing many flags beside a kernel, microcode and QEMU update.
        var since = GuardRun.Now.AddHours(-1);
        var lost = state.Nodes[0].Flags.Take(40).ToList();
        var software = new SoftwareChange(new ValueChange("6.8.12-4-pve", "6.14.8-2-pve"), new ValueChange("0x5003604", "0x5003707"), new ValueChange("9.2.0", "10.1.2"));
        var history = Enumerable.Range(0, 250)
            .Select(i => new CpuChange { Kind = CpuChangeKind.NodeLostFlags, Since = since, At = GuardRun.Now, Node = $"pve{i % 64 + 1:00}", Flags = lost, Software = software, IsLoss = true })
            .ToList();
        var full = CpuChangeDetector.Record(state, null, history);
        var bytes = ClusterStateJson.Write(full);

        output.WriteLine($"state of 64 nodes and 10,000 guests: {bare} bytes ({bare / 1024.0:0.0} KiB); with 200 changes of 40 flags each: {bytes.Length} bytes ({bytes.Length / 1024.0:0.0} KiB)");
        Assert.Equal(ClusterState.MaxHistory, full.History.Count);
        Assert.True(bytes.Length < ClusterStateJson.MaxBytes / 2, $"{bytes.Length} bytes");

        // And it reads back as written.
        var parsed = ClusterStateJson.Parse(bytes, "state.json", "scale");
        Assert.True(parsed.IsSuccess, parsed.Error?.ToString());
        Assert.Equal(10_000, parsed.Value.Guests.Count);
        Assert.Equal(64, parsed.Value.Nodes.Count);
        Assert.Equal(ClusterState.MaxHistory, parsed.Value.History.Count);
    }
}
