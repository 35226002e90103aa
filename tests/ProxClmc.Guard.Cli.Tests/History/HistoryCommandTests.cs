using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.History;

/// <summary><c>history</c> lists what the scans recorded, newest first; <c>--since</c> narrows it.</summary>
public sealed class HistoryCommandTests
{
    private static readonly DateTimeOffset Third = LabChange.Second.AddDays(3);

    /// <summary>pve4 loses TSX an hour after the first scan; three days later pve5 joins.</summary>
    private static LabChange TwoUpdates()
    {
        var lab = new LabChange();
        lab.FirstScan();
        lab.RemoveFlags("pve4", "hle", "rtm");
        Assert.Equal(2, GuardRun.RunAt(LabChange.Second, null, "scan", "--from", lab.Lab, "--state", lab.State).Exit);
        lab.AddNode("pve5", 5, "10.10.10.15", cpuinfoFrom: "pve2");
        Assert.Equal(2, GuardRun.RunAt(Third, null, "scan", "--from", lab.Lab, "--state", lab.State).Exit);
        return lab;
    }

    [Fact]
    public void History_lists_the_recorded_changes_newest_first()
    {
        using var lab = TwoUpdates();

        var table = GuardRun.RunAt(Third, null, "history", "--state", lab.State);

        Assert.True(table.Exit == 0, table.ToString());
        Assert.Equal(
            [
                $"Changes of the cluster's CPU, newest first (recorded in {lab.State}):",
                "  2026-11-26 13:00 UTC  - node-joined            pve5 joined the cluster",
                "  2026-11-23 13:00 UTC  ! node-lost-flags        pve4 lost rtm, hle",
                "  2026-11-23 13:00 UTC  - node-level-changed     pve4: best named model Skylake-Client-IBRS → Skylake-Client-noTSX-IBRS",
            ],
            table.OutLines);
    }

    [Fact]
    public void History_since_leaves_out_older_changes_and_speaks_json()
    {
        using var lab = TwoUpdates();

        var json = GuardRun.RunAt(Third, null, "history", "--state", lab.State, "--since", "2d", "--format", "json");

        Assert.True(json.Exit == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal("2026-11-24T13:00:00Z", document.RootElement.GetProperty("since").GetString());
        var change = Assert.Single(document.RootElement.GetProperty("changes").EnumerateArray());
        Assert.Equal(("node-joined", "pve5", "2026-11-26T13:00:00Z", "2026-11-23T13:00:00Z"), (
            change.GetProperty("kind").GetString(), change.GetProperty("node").GetString(), change.GetProperty("at").GetString(), change.GetProperty("since").GetString()));
    }

    [Fact]
    public void History_without_a_state_says_so_and_a_bad_since_is_a_usage_error()
    {
        using var dir = new TempTree();
        var missing = GuardRun.Run("history", "--state", dir.PathOf("state.json"));
        Assert.True(missing.Exit == 0, missing.ToString());
        Assert.Equal([$"No changes recorded yet: {dir.PathOf("state.json")} does not exist (each scan records the cluster's CPU there)"], missing.OutLines);

        var bad = GuardRun.Run("history", "--state", dir.PathOf("state.json"), "--since", "yesterday");
        Assert.Equal(64, bad.Exit);
        Assert.Equal("proxclmc-guard: --since yesterday: expected an age such as 30m, 12h, 7d or 2w, or a date such as 2026-11-20", bad.ErrorLines[0]);

        var from = GuardRun.Run("history", "--from", GuardRun.Lab);
        Assert.Equal(64, from.Exit);
        Assert.Equal("proxclmc-guard: history --from: a snapshot has no recorded state; give the state file with --state", from.ErrorLines[0]);
    }
}
