using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using Xunit.Abstractions;

namespace ProxClmc.Guard.Cli.Tests.History;

/// <summary>
/// Given a copy of the lab cluster scanned once with <c>--state</c>, an update changes a node, and the next scan
/// says what changed since: in JSON (<c>changes</c>), in the table ("Changes since ..."), in the journal (one warning
/// per loss, notices for the rest) and in the metrics.
/// </summary>
public sealed class CpuChangeTests(ITestOutputHelper output)
{
    [Fact]
    public void The_first_scan_records_the_state_0600_and_lists_no_changes()
    {
        using var lab = new LabChange();
        var first = lab.FirstScan();

        Assert.True(first.Exit == 2, first.ToString());
        var root = LabChange.Root(first);
        Assert.Empty(root.GetProperty("changes").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("changesSince").ValueKind);
        Assert.Equal(lab.State, root.GetProperty("stateFile").GetString());
        var status = Infrastructure.IO.Posix.LStat(lab.State)!.Value;
        Assert.True(status.IsRegular);
        Assert.Equal("0600", status.OctalPermissions);

        // The state holds every node's CPU, the baseline and each guest's verdict.
        using var state = JsonDocument.Parse(File.ReadAllBytes(lab.State));
        Assert.Equal("lab", state.RootElement.GetProperty("cluster").GetString());
        Assert.Equal(["pve1", "pve2", "pve3", "pve4"], state.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("node").GetString()));
        var pve4 = state.RootElement.GetProperty("nodes")[3];
        Assert.Equal("0x200004d", pve4.GetProperty("microcode").GetString());
        Assert.Equal("x86-64-v4", pve4.GetProperty("level").GetString());
        Assert.Contains("rtm", pve4.GetProperty("flags").GetString()!.Split(' '));
        Assert.DoesNotContain("hypervisor", pve4.GetProperty("flags").GetString()!.Split(' '));
        Assert.Equal("x86-64-v2-AES", state.RootElement.GetProperty("baseline").GetProperty("level").GetString());
        Assert.Contains(106, state.RootElement.GetProperty("guests").GetProperty("host-cpu").EnumerateArray().Select(e => e.GetInt32()));

        // Same state again as a table: the first scan of a new state file says where it recorded it.
        File.Delete(lab.State);
        var table = GuardRun.RunAt(LabChange.First, null, "scan", "--from", lab.Lab, "--state", lab.State);
        Assert.Equal($"No earlier state to compare with: the cluster's CPU is now recorded in {lab.State}", table.OutLines[^1]);
    }

    [Fact]
    public void A_scan_with_no_change_lists_none_anywhere()
    {
        using var lab = new LabChange();
        lab.FirstScan();

        var json = lab.SecondScan("json");
        Assert.True(json.Exit == 2, json.ToString());
        Assert.Empty(LabChange.Changes(json));
        Assert.Equal(LabChange.FirstTime, LabChange.Root(json).GetProperty("changesSince").GetString());

        var table = lab.SecondScan("table");
        Assert.Equal("Changes since 2026-11-23 12:00 UTC: none", table.OutLines[^1]);

        var metrics = LabChange.Metrics(lab.SecondScan("prometheus"));
        Assert.All(Core.History.CpuChangeKind.All, kind => Assert.Equal("0", metrics[$"proxclmc_guard_changes{{kind=\"{kind}\"}}"]));
        Assert.Equal("2", metrics["proxclmc_guard_baseline_level"]);

        if (lab.JournalOfSecondScan(output, out _) is { } journal)
        {
            Assert.Empty(journal);
        }
    }

    [Fact]
    public void A_microcode_update_that_hides_TSX_on_one_node_is_a_loss_with_the_microcode_beside_it()
    {
        using var lab = new LabChange();
        lab.FirstScan();
        lab.RemoveFlags("pve4", "hle", "rtm");
        lab.SetMicrocode("pve4", "0x2007006");

        var json = lab.SecondScan("json");
        Assert.True(json.Exit == 2, json.ToString());
        var changes = LabChange.Changes(json);
        Assert.Equal(["node-lost-flags", "node-level-changed"], changes.Select(c => c.GetProperty("kind").GetString()));
        var lost = changes[0];
        Assert.Equal(LabChange.FirstTime, lost.GetProperty("since").GetString());
        Assert.Equal("pve4", lost.GetProperty("node").GetString());
        Assert.Equal(["hle", "rtm"], LabChange.Strings(lost.GetProperty("flags")).Order(StringComparer.Ordinal));
        Assert.Equal(["0x200004d", "0x2007006"], LabChange.Strings(lost.GetProperty("software").GetProperty("microcode")));
        Assert.False(lost.GetProperty("software").TryGetProperty("kernel", out _));
        var level = changes[1];
        Assert.Equal(("pve4", "x86-64-v4", "x86-64-v4"), (level.GetProperty("node").GetString(), level.GetProperty("from").GetString(), level.GetProperty("to").GetString()));
        Assert.Equal(("Skylake-Client-IBRS", "Skylake-Client-noTSX-IBRS"), (level.GetProperty("namedFrom").GetString(), level.GetProperty("namedTo").GetString()));

        var table = lab.SecondScan("table");
        var heading = table.OutLines.ToList().IndexOf(LabChange.ChangesHeading);
        Assert.True(heading > 0, table.ToString());
        Assert.Equal(
            ["  ! pve4 lost rtm, hle (microcode 0x200004d → 0x2007006)", "  - pve4: best named model Skylake-Client-IBRS → Skylake-Client-noTSX-IBRS"],
            table.OutLines.Skip(heading + 1));

        var metrics = LabChange.Metrics(lab.SecondScan("prometheus"));
        Assert.Equal("1", metrics["proxclmc_guard_changes{kind=\"node-lost-flags\"}"]);
        Assert.Equal("1", metrics["proxclmc_guard_changes{kind=\"node-level-changed\"}"]);
        Assert.Equal("0", metrics["proxclmc_guard_changes{kind=\"baseline-changed\"}"]);
        Assert.Equal("4", metrics["proxclmc_guard_node_level{node=\"pve4\"}"]);
        Assert.Equal("2", metrics["proxclmc_guard_baseline_level"]);

        if (lab.JournalOfSecondScan(output, out _) is { } journal)
        {
            var warning = Assert.Single(journal, e => e["PROXCLMC_CHANGE"] == "node-lost-flags");
            Assert.Equal("4", warning["PRIORITY"]);
            Assert.Equal("pve4", warning["PROXCLMC_NODE"]);
            Assert.Equal("rtm hle", warning["PROXCLMC_FLAGS"]);
            Assert.Equal("microcode 0x200004d", warning["PROXCLMC_FROM"]);
            Assert.Equal("microcode 0x2007006", warning["PROXCLMC_TO"]);
            var notice = Assert.Single(journal, e => e["PROXCLMC_CHANGE"] == "node-level-changed");
            Assert.Equal("5", notice["PRIORITY"]);
            Assert.Equal(("Skylake-Client-IBRS", "Skylake-Client-noTSX-IBRS"), (notice["PROXCLMC_FROM"], notice["PROXCLMC_TO"]));
            Assert.Equal(2, journal.Count);
        }
    }

    /// <summary>The guests on x86-64-v2-AES that the lab judges ok, and that pve1 without aes can no longer run.</summary>
    private static readonly int[] AesGuests = [102, 109, 113, 116, 117, 118, 119, 123];

    [Fact]
    public void The_lowest_node_losing_aes_drops_the_baseline_and_changes_the_verdicts_of_the_guests_that_used_it()
    {
        using var lab = new LabChange();
        lab.FirstScan();
        lab.RemoveFlags("pve1", "aes");

        var json = lab.SecondScan("json");
        Assert.True(json.Exit == 2, json.ToString());
        var changes = LabChange.Changes(json);
        Assert.Equal(
            ["baseline-changed", "node-lost-flags", "node-level-changed", .. AesGuests.Select(_ => "guest-verdict-changed")],
            changes.Select(c => c.GetProperty("kind").GetString()));
        var baseline = changes[0];
        Assert.Equal(("x86-64-v2-AES", "x86-64-v2"), (baseline.GetProperty("from").GetString(), baseline.GetProperty("to").GetString()));
        Assert.Equal(("SandyBridge-IBRS", "Nehalem-IBRS"), (baseline.GetProperty("namedFrom").GetString(), baseline.GetProperty("namedTo").GetString()));
        Assert.Equal(["aes"], LabChange.Strings(changes[1].GetProperty("flags")));
        Assert.Equal(("x86-64-v2-AES", "x86-64-v2"), (changes[2].GetProperty("from").GetString(), changes[2].GetProperty("to").GetString()));
        var verdicts = changes.Skip(3).ToList();
        Assert.Equal(AesGuests, verdicts.Select(c => c.GetProperty("vmid").GetInt32()));
        Assert.All(verdicts, c => Assert.Equal(("ok", "exceeds-baseline"), (c.GetProperty("from").GetString(), c.GetProperty("to").GetString())));

        // The same guests, as the scan itself judges them now.
        var guests = LabChange.Root(json).GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("vmid").GetInt32());
        Assert.All(AesGuests, id => Assert.Equal("exceeds-baseline", guests[id].GetProperty("verdict").GetString()));

        var table = lab.SecondScan("table");
        var lines = table.OutLines.SkipWhile(l => l != LabChange.ChangesHeading).ToList();
        Assert.Equal("  ! cluster baseline x86-64-v2-AES → x86-64-v2; best named model SandyBridge-IBRS → Nehalem-IBRS", lines[1]);
        Assert.Equal("  ! pve1 lost aes", lines[2]);
        Assert.Equal("  ! pve1: level x86-64-v2-AES → x86-64-v2; best named model SandyBridge-IBRS → Nehalem-IBRS", lines[3]);
        Assert.Equal("  ! VM 102 on pve1: ok → exceeds-baseline", lines[4]);

        var metrics = LabChange.Metrics(lab.SecondScan("prometheus"));
        Assert.Equal("1", metrics["proxclmc_guard_baseline_level"]);
        Assert.Equal("1", metrics["proxclmc_guard_node_level{node=\"pve1\"}"]);
        Assert.Equal("1", metrics["proxclmc_guard_changes{kind=\"baseline-changed\"}"]);
        Assert.Equal(AesGuests.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), metrics["proxclmc_guard_changes{kind=\"guest-verdict-changed\"}"]);

        if (lab.JournalOfSecondScan(output, out _) is { } journal)
        {
            Assert.All(journal, e => Assert.Equal("4", e["PRIORITY"]));
            var drop = Assert.Single(journal, e => e["PROXCLMC_CHANGE"] == "baseline-changed");
            Assert.Equal(("x86-64-v2-AES", "x86-64-v2"), (drop["PROXCLMC_FROM"], drop["PROXCLMC_TO"]));
            var node = Assert.Single(journal, e => e["PROXCLMC_CHANGE"] == "node-level-changed");
            Assert.Equal(("pve1", "x86-64-v2-AES", "x86-64-v2"), (node["PROXCLMC_NODE"], node["PROXCLMC_FROM"], node["PROXCLMC_TO"]));
            Assert.Equal("aes", Assert.Single(journal, e => e["PROXCLMC_CHANGE"] == "node-lost-flags")["PROXCLMC_FLAGS"]);
            var unsafeNow = journal.Where(e => e["PROXCLMC_CHANGE"] == "guest-verdict-changed").ToList();
            Assert.Equal(AesGuests.Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)), unsafeNow.Select(e => e["PROXCLMC_VMID"]));
            Assert.All(unsafeNow, e => Assert.Equal(("ok", "exceeds-baseline"), (e["PROXCLMC_FROM"], e["PROXCLMC_TO"])));
        }
    }

    [Fact]
    public void A_baseline_that_went_down_is_a_warning_even_while_every_guest_shown_is_ok()
    {
        using var lab = new LabChange();
        var before = lab.FirstScan("--vmid", "101");
        Assert.True(before.Exit == 0, before.ToString());
        lab.RemoveFlags("pve1", "aes");

        var after = lab.SecondScan("table", null, "--vmid", "101");

        Assert.True(after.Exit == 1, after.ToString());
        Assert.Contains("  101    ", after.Out, StringComparison.Ordinal);
        Assert.Equal(
            "proxclmc-guard: the cluster's CPU changed since 2026-11-23 12:00 UTC: cluster baseline x86-64-v2-AES → x86-64-v2; best named model SandyBridge-IBRS → Nehalem-IBRS (and 2 more)",
            after.ErrorLines[^1]);
    }

    [Fact]
    public void A_node_joining_is_a_notice()
    {
        using var lab = new LabChange();
        lab.FirstScan();
        lab.AddNode("pve5", 5, "10.10.10.15", cpuinfoFrom: "pve2");

        var changes = LabChange.Changes(lab.SecondScan("json"));
        var joined = Assert.Single(changes);
        Assert.Equal(("node-joined", "pve5", LabChange.FirstTime), (joined.GetProperty("kind").GetString(), joined.GetProperty("node").GetString(), joined.GetProperty("since").GetString()));

        var table = lab.SecondScan("table");
        Assert.Equal([LabChange.ChangesHeading, "  - pve5 joined the cluster"], table.OutLines.TakeLast(2));

        var metrics = LabChange.Metrics(lab.SecondScan("prometheus"));
        Assert.Equal("1", metrics["proxclmc_guard_changes{kind=\"node-joined\"}"]);
        Assert.Equal("3", metrics["proxclmc_guard_node_level{node=\"pve5\"}"]);

        if (lab.JournalOfSecondScan(output, out _) is { } journal)
        {
            var entry = Assert.Single(journal);
            Assert.Equal(("node-joined", "pve5", "5", "-", "-", "-"), (entry["PROXCLMC_CHANGE"], entry["PROXCLMC_NODE"], entry["PRIORITY"], entry["PROXCLMC_FLAGS"], entry["PROXCLMC_FROM"], entry["PROXCLMC_TO"]));
        }
    }

    [Fact]
    public void A_node_leaving_is_a_notice()
    {
        using var lab = new LabChange();
        lab.FirstScan();
        lab.RemoveNode("pve4");

        var changes = LabChange.Changes(lab.SecondScan("json"));
        var left = Assert.Single(changes);
        Assert.Equal(("node-left", "pve4"), (left.GetProperty("kind").GetString(), left.GetProperty("node").GetString()));

        Assert.Equal([LabChange.ChangesHeading, "  - pve4 left the cluster"], lab.SecondScan("table").OutLines.TakeLast(2));

        var metrics = LabChange.Metrics(lab.SecondScan("prometheus"));
        Assert.Equal("1", metrics["proxclmc_guard_changes{kind=\"node-left\"}"]);
        Assert.False(metrics.ContainsKey("proxclmc_guard_node_level{node=\"pve4\"}"));

        if (lab.JournalOfSecondScan(output, out _) is { } journal)
        {
            var entry = Assert.Single(journal);
            Assert.Equal(("node-left", "pve4", "5"), (entry["PROXCLMC_CHANGE"], entry["PROXCLMC_NODE"], entry["PRIORITY"]));
        }
    }

    [Fact]
    public void A_kernel_update_that_changes_no_flag_is_a_software_change_only()
    {
        using var lab = new LabChange();
        lab.PublishFacts("pve2", "6.8.12-4-pve");
        lab.FirstScan();
        lab.PublishFacts("pve2", "6.8.12-8-pve");

        var json = lab.SecondScan("json");
        var change = Assert.Single(LabChange.Changes(json));
        Assert.Equal(("node-software-changed", "pve2"), (change.GetProperty("kind").GetString(), change.GetProperty("node").GetString()));
        Assert.Equal(["6.8.12-4-pve", "6.8.12-8-pve"], LabChange.Strings(change.GetProperty("software").GetProperty("kernel")));
        Assert.False(change.GetProperty("software").TryGetProperty("microcode", out _));

        Assert.Equal(
            [LabChange.ChangesHeading, "  - pve2: kernel 6.8.12-4-pve → 6.8.12-8-pve, no CPU flag changed"],
            lab.SecondScan("table").OutLines.TakeLast(2));
        Assert.Equal("1", LabChange.Metrics(lab.SecondScan("prometheus"))["proxclmc_guard_changes{kind=\"node-software-changed\"}"]);

        if (lab.JournalOfSecondScan(output, out _) is { } journal)
        {
            var entry = Assert.Single(journal);
            Assert.Equal(("node-software-changed", "pve2", "5"), (entry["PROXCLMC_CHANGE"], entry["PROXCLMC_NODE"], entry["PRIORITY"]));
            Assert.Equal(("kernel 6.8.12-4-pve", "kernel 6.8.12-8-pve"), (entry["PROXCLMC_FROM"], entry["PROXCLMC_TO"]));
        }
    }

    [Fact]
    public void A_from_run_reads_and_writes_no_state_unless_given_one()
    {
        using var lab = new LabChange();
        using var dir = new TempTree();
        var configured = dir.PathOf("configured", "state.json");
        var config = dir.Write($"[history]\nstate_file = \"{configured}\"\n", "guard.toml");

        var json = GuardRun.Run("--config", config, "scan", "--from", lab.Lab, "--format", "json");

        Assert.True(json.Exit == 2, json.ToString());
        Assert.False(LabChange.Root(json).TryGetProperty("changes", out _));
        Assert.False(Directory.Exists(dir.PathOf("configured")));
    }
}
