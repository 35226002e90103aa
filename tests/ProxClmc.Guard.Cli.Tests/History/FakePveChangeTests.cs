using System.Text.RegularExpressions;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.History;

/// <summary>
/// The same changes through the fake Proxmox over HTTPS: the state file named by [history] state_file, node facts
/// from the node status, and a node that comes back from an update with TSX hidden and a new kernel.
/// </summary>
public sealed class FakePveChangeTests : FakePveTest
{
    [Fact]
    public void A_node_whose_CPU_changes_between_two_scans_is_found_through_the_API()
    {
        var state = Path.Combine(Dir, "cpu", "state.json");
        var config = WriteConfig(extra: $"[history]\nstate_file = \"{state}\"\n");

        var first = GuardRun.RunAt(LabChange.First, null, "scan", "--config", config, "--format", "json");
        Assert.True(first.Exit == 2, first.ToString());
        Assert.Empty(LabChange.Changes(first));
        Assert.Equal(state, LabChange.Root(first).GetProperty("stateFile").GetString());

        var cpuinfo = File.ReadAllText(Path.Combine(GuardRun.Lab, "nodes", "pve4", "cpuinfo"));
        var updated = Regex.Replace(cpuinfo, @"^(flags\s*:.*?) hle(?= )", "$1", RegexOptions.Multiline);
        updated = Regex.Replace(updated, @"^(flags\s*:.*?) rtm(?= )", "$1", RegexOptions.Multiline);
        Assert.NotEqual(cpuinfo, updated);
        Pve.SetNodeCpu("pve4", updated, kernel: "6.14.11-1-pve");

        var second = GuardRun.RunAt(LabChange.Second, null, "scan", "--config", config, "--format", "json");

        Assert.True(second.Exit == 2, second.ToString());
        var changes = LabChange.Changes(second);
        Assert.Equal(["node-lost-flags", "node-level-changed"], changes.Select(c => c.GetProperty("kind").GetString()));
        Assert.Equal(LabChange.FirstTime, changes[0].GetProperty("since").GetString());
        Assert.Equal("pve4", changes[0].GetProperty("node").GetString());
        Assert.Equal(["hle", "rtm"], LabChange.Strings(changes[0].GetProperty("flags")).Order(StringComparer.Ordinal));
        Assert.Equal(["6.14.8-2-pve", "6.14.11-1-pve"], LabChange.Strings(changes[0].GetProperty("software").GetProperty("kernel")));
        Assert.Equal(("Skylake-Client-IBRS", "Skylake-Client-noTSX-IBRS"), (changes[1].GetProperty("namedFrom").GetString(), changes[1].GetProperty("namedTo").GetString()));

        // The next scan compares with what the second one recorded: nothing changed since.
        var third = GuardRun.RunAt(LabChange.Second.AddHours(1), null, "scan", "--config", config);
        Assert.Equal("Changes since 2026-11-23 13:00 UTC: none", third.OutLines[^1]);

        var history = GuardRun.Run("history", "--config", config);
        Assert.Equal("  2026-11-23 13:00 UTC  ! node-lost-flags        pve4 lost rtm, hle (kernel 6.14.8-2-pve → 6.14.11-1-pve)", history.OutLines[1]);
    }
}
