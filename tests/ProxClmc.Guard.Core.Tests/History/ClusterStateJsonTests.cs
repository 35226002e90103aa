using System.Text;
using ProxClmc.Guard.Core.History;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.History;

public sealed class ClusterStateJsonTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static ClusterState Sample(int history = 1) => new()
    {
        ClusterName = "lab",
        RecordedAt = At,
        Nodes =
        [
            new NodeState { Node = "pve1", Flags = ["aes", "sse4_2"], Vendor = "GenuineIntel", Family = 6, Model = 45, Stepping = 7, Microcode = "0x718", Kernel = "6.8.12-4-pve", Qemu = "9.2.0", Level = "x86-64-v2-AES", Named = "SandyBridge-IBRS", Source = "ssh", JudgedBy = "qemu" },
            new NodeState { Node = "pve2", Readable = false },
        ],
        BaselineLevel = "x86-64-v2-AES",
        BaselineNamed = "SandyBridge-IBRS",
        Guests = new Dictionary<int, string> { [100] = "ok", [101] = "ok", [106] = "host-cpu" },
        History = Enumerable.Range(0, history).Select(i => new CpuChange
        {
            Kind = CpuChangeKind.NodeLostFlags,
            Since = At.AddHours(-1 - i),
            At = At.AddHours(-i),
            Node = "pve1",
            Flags = ["hle", "rtm"],
            Software = new SoftwareChange(null, new ValueChange("0x700", "0x718"), null),
            IsLoss = true,
            IsWarning = true,
        }).ToList(),
    };

    [Fact]
    public void A_state_reads_back_as_it_was_written()
    {
        var parsed = ClusterStateJson.Parse(ClusterStateJson.Write(Sample()), "state.json", "lab");

        Assert.True(parsed.IsSuccess, parsed.Error?.ToString());
        var state = parsed.Value;
        Assert.Equal(At, state.RecordedAt);
        Assert.Equal(Sample().Nodes[0] with { Flags = [] }, state.Nodes[0] with { Flags = [] });
        Assert.Equal(["aes", "sse4_2"], state.Nodes[0].Flags);
        Assert.False(state.Nodes[1].Readable);
        Assert.Equal(("x86-64-v2-AES", "SandyBridge-IBRS"), (state.BaselineLevel, state.BaselineNamed));
        Assert.Equal(Sample().Guests.OrderBy(g => g.Key), state.Guests.OrderBy(g => g.Key));
        var change = Assert.Single(state.History);
        Assert.Equal(("node-lost-flags", "pve1", true, true), (change.Kind, change.Node, change.IsLoss, change.IsWarning));
        Assert.Equal(new ValueChange("0x700", "0x718"), change.Software!.Microcode);
        Assert.Equal(["hle", "rtm"], change.Flags);
    }

    [Fact]
    public void The_state_of_another_cluster_or_format_is_refused_with_the_reason()
    {
        var bytes = ClusterStateJson.Write(Sample());

        Assert.Equal("state.json: the state of cluster 'lab', not of this cluster 'prod'", ClusterStateJson.Parse(bytes, "state.json", "prod").Error!.ToString());
        Assert.Equal("state.json: not a state file of proxclmc-guard (no \"format\": \"proxclmc-guard-state\")", ClusterStateJson.Parse("{\"node\":\"pve1\"}"u8, "state.json", "lab").Error!.ToString());
        Assert.StartsWith("state.json: state format version 2,", ClusterStateJson.Parse(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes).Replace("\"version\":1", "\"version\":2", StringComparison.Ordinal)), "state.json", "lab").Error!.ToString(), StringComparison.Ordinal);
        Assert.True(ClusterStateJson.Parse(bytes, "state.json", "prod", checkCluster: false).IsSuccess);
    }

    [Fact]
    public void The_history_keeps_the_newest_200_changes()
    {
        var previous = Sample(history: 190);
        var news = Enumerable.Range(0, 30).Select(i => new CpuChange { Kind = CpuChangeKind.NodeJoined, Since = At, At = At.AddHours(1), Node = $"new{i}" }).ToList();

        var recorded = CpuChangeDetector.Record(Sample(history: 0) with { RecordedAt = At.AddHours(1) }, previous, news);

        Assert.Equal(ClusterState.MaxHistory, recorded.History.Count);
        Assert.Equal(news, recorded.History.Take(30));
        Assert.Equal(previous.History.Take(170), recorded.History.Skip(30));

        // A node not read this time keeps what it last showed, to be compared with next time.
        Assert.Equal(previous.Nodes[0], CpuChangeDetector.Record(Sample(0) with { Nodes = [new NodeState { Node = "pve1", Readable = false }] }, previous, []).Nodes[0]);
    }

    [Fact]
    public void The_reader_survives_arbitrary_bytes()
    {
        var seed = ClusterStateJson.Write(Sample(history: 3));
        foreach (var input in Fuzz.Bytes([seed, "{}"u8.ToArray(), "{\"format\":\"proxclmc-guard-state\",\"version\":1}"u8.ToArray()], Fuzz.Cases(500)))
        {
            var result = ClusterStateJson.Parse(input, "state.json", "lab");
            Assert.True(result.IsSuccess || result.Error is not null);
        }
    }
}
