using NSubstitute;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.History;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.History;

namespace ProxClmc.Guard.Cli.Tests.Application.History;

/// <summary>The history use case: which file it reads, which changes it gives and in which order.</summary>
public sealed class HistoryReadingTests
{
    private static readonly DateTimeOffset Day = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);

    private readonly IRecordedStateReader _reader = Substitute.For<IRecordedStateReader>();

    [Fact]
    public void Changes_within_the_window_come_newest_first()
    {
        var state = new ClusterState
        {
            ClusterName = "lab",
            RecordedAt = Day.AddDays(3),
            Nodes = [],
            BaselineLevel = "x86-64-v3",
            Guests = new Dictionary<int, string>(),
            History = [Change("node-added", Day), Change("flag-lost", Day.AddDays(2)), Change("level-changed", Day.AddDays(1))],
        };
        _reader.Read("/var/lib/state.json").Returns(new RecordedState(state, null));

        var result = new HistoryReading(new RunSettings { StateFile = "/var/lib/state.json" }, _reader).Read(new HistoryRequest(null, Day.AddHours(12)));

        Assert.Equal("/var/lib/state.json", result.Path);
        Assert.Equal(["flag-lost", "level-changed"], result.Changes.Select(c => c.Kind));
        Assert.Equal(Day.AddDays(3), result.RecordedAt);
        Assert.True(result.HasState);
    }

    [Fact]
    public void A_state_file_given_on_the_command_line_wins_over_the_run_s()
    {
        _reader.Read(Arg.Any<string>()).Returns(new RecordedState(null, "not JSON"));

        var result = new HistoryReading(new RunSettings { StateFile = "/var/lib/state.json" }, _reader).Read(new HistoryRequest("/tmp/other.json", null));

        Assert.Equal("/tmp/other.json", result.Path);
        Assert.False(result.HasState);
        Assert.Equal("not JSON", result.Problem);
        Assert.Empty(result.Changes);
    }

    [Fact]
    public void A_snapshot_without_a_state_file_is_a_request_to_correct()
    {
        var error = Assert.Throws<InvalidRequestException>(() => new HistoryReading(new RunSettings { From = "/srv/snap" }, _reader).Read(new HistoryRequest(null, null)));

        Assert.Equal("history --from: a snapshot has no recorded state; give the state file with --state", error.Message);
        _reader.DidNotReceive().Read(Arg.Any<string>());
    }

    private static CpuChange Change(string kind, DateTimeOffset at) => new() { Kind = kind, Since = at.AddHours(-1), At = at };
}
