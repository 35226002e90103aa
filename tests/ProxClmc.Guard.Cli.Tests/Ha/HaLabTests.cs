using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Ha;

/// <summary>
/// Given contrib/examples/ha-lab (pve1 Sandy Bridge, pve2 Haswell, pve3 Broadwell, pve4 and pve5 Skylake, HA
/// resources with a strict and two non-strict node-affinity rules, a restricted PVE 8 group and two
/// resource-affinity rules), <c>scan</c> prints the reviewed report and <c>check --evacuate</c> answers for
/// maintenance mode. Regenerate the golden files with
/// <c>PROXCLMC_UPDATE_GOLDEN=1 dotnet test tests/ProxClmc.Guard.Cli.Tests --filter FullyQualifiedName~Golden</c>.
/// </summary>
public sealed class HaLabTests
{
    private static string Lab => RepoPaths.HaLab;

    private static string Relative(string text) => text.Replace(RepoPaths.Root + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);

    [Theory]
    [InlineData("table", "scan-ha-lab.txt")]
    [InlineData("json", "scan-ha-lab.json")]
    public void Golden_scan_of_the_ha_lab_prints_the_reviewed_report_and_exits_2(string format, string golden)
    {
        var result = GuardRun.Run("scan", "--from", Lab, "--format", format);

        Assert.True(result.Exit == 2, result.ToString());
        var path = RepoPaths.Combine("tests", "ProxClmc.Guard.Cli.Tests", "Golden", golden);
        var actual = Relative(result.Out);
        if (Environment.GetEnvironmentVariable("PROXCLMC_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"{path} is missing: run with PROXCLMC_UPDATE_GOLDEN=1 once and review it");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    [Fact]
    public void Every_ha_lab_guest_gets_its_verdict_notes_and_allowed_nodes()
    {
        var result = GuardRun.Run("scan", "--from", Lab, "--format", "json");
        using var json = JsonDocument.Parse(result.Out);
        var guests = json.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("vmid").GetInt32());

        string Line(int vmid)
        {
            var g = guests[vmid];
            var notes = string.Join(",", g.GetProperty("notes").EnumerateArray().Select(n => n.GetProperty("code").GetString()));
            var allowed = string.Join(",", g.GetProperty("allowedNodes").EnumerateArray().Select(n => n.GetString()));
            return $"{g.GetProperty("verdict").GetString()} [{notes}] {allowed}";
        }

        Assert.Equal("ok [ha-rule] pve4,pve5", Line(201));                                        // strict rule, capable nodes
        Assert.Equal("exceeds-baseline [ha-rule,ha-recovery] pve4,pve5,pve1,pve2,pve3", Line(202)); // same CPU, non-strict
        Assert.Equal("ok [ha-rule] pve2,pve3", Line(203));                                        // restricted PVE 8 group
        Assert.Equal("exceeds-baseline [ha-recovery] pve1,pve2,pve3,pve4,pve5", Line(205));       // HA, no rule
        Assert.Equal("ok [] pve1,pve2,pve3,pve4,pve5", Line(208));                                // not HA
        Assert.Equal("ok [identical-cpus,ha-rule] pve4,pve5", Line(209));                         // host, strict rule
        Assert.Equal("exceeds-baseline [] pve1,pve2,pve3,pve4,pve5", Line(210));                  // state ignored
        Assert.Equal(JsonValueKind.Null, guests[210].GetProperty("ha").ValueKind);
        var ha = guests[202].GetProperty("ha");
        Assert.Equal("prefer-skx", ha.GetProperty("rule").GetString());
        Assert.False(ha.GetProperty("strict").GetBoolean());
        Assert.Equal("pve4:2 pve5:1 pve1:-1 pve2:-1 pve3:-1", string.Join(" ", ha.GetProperty("nodes").EnumerateArray().Select(n => $"{n.GetProperty("node").GetString()}:{n.GetProperty("priority").GetInt32()}")));
    }

    [Fact]
    public void Reports_of_clusters_without_HA_keep_their_shape()
    {
        var result = GuardRun.Run("scan", "--from", GuardRun.Lab, "--format", "json");
        using var json = JsonDocument.Parse(result.Out);

        Assert.All(json.RootElement.GetProperty("guests").EnumerateArray(), g =>
        {
            Assert.False(g.TryGetProperty("allowedNodes", out _));
            Assert.False(g.TryGetProperty("ha", out _));
        });
    }

    [Fact]
    public void Evacuating_pve4_lists_each_HA_guests_capable_allowed_targets_and_the_blockers()
    {
        var result = GuardRun.Run("check", "--evacuate", "pve4", "--from", Lab);

        Assert.Equal(2, result.Exit);
        var lines = result.OutLines;
        Assert.Contains("HA maintenance mode (ha-manager crm-command node-maintenance enable pve4): 5 HA guests", lines);
        Assert.Contains("  vm:201  ok       HA picks pve5; allowed nodes that can run it: pve5 (strict HA rule 'skx-only' (pve4, pve5))", lines);
        Assert.Contains("  vm:205  AT RISK  HA picks the least loaded of pve1, pve2, pve3, pve5; allowed nodes that can run it: pve2, pve3, pve5 (no HA rule)", lines);
        Assert.Contains("          pve1 cannot run VM 205: the migration there fails", lines);
        Assert.Contains("  vm:206  ok       HA picks pve5; allowed nodes that can run it: pve1, pve2, pve3, pve5 (no HA rule)", lines);
        Assert.Contains("          only pve5: vm:207 runs there, and rule 'cache-together' keeps them together", lines);
        Assert.Contains("  vm:211  BLOCKED  HA picks the least loaded of pve2, pve3; allowed nodes that can run it: pve5 (non-strict HA rule 'prefer-v3' (pve2, pve3))", lines);
        Assert.Contains("HA blockers (no capable node for the HA scheduler): vm:211", lines);
        Assert.DoesNotContain(lines, l => l.Contains("vm:210", StringComparison.Ordinal)); // ignored by HA
        Assert.Equal("proxclmc-guard: maintenance mode on pve4: the HA manager cannot safely move vm:205, vm:211", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public void Evacuation_targets_of_a_strictly_pinned_guest_stay_inside_its_rule()
    {
        var result = GuardRun.Run("check", "--evacuate", "pve4", "--from", Lab);

        var at = result.OutLines.ToList().FindIndex(l => l.StartsWith("  201 ", StringComparison.Ordinal));
        Assert.EndsWith("-> pve5", result.OutLines[at], StringComparison.Ordinal);
        Assert.Equal("not pve1: outside strict HA rule 'skx-only' (pve4, pve5)", result.OutLines[at + 1].Trim());
    }

    [Fact]
    public void Evacuating_pve5_is_safe_and_priorities_pick_pve4()
    {
        var result = GuardRun.Run("check", "--evacuate", "pve5", "--from", Lab);

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Contains("  vm:202  ok       HA picks pve4; allowed nodes that can run it: pve4 (non-strict HA rule 'prefer-skx' (pve4:2, pve5:1))", result.OutLines);
    }

    [Fact]
    public void Check_of_a_strictly_pinned_guest_counts_only_the_nodes_of_its_rule()
    {
        var all = GuardRun.Run("check", "201", "--from", Lab);
        var outside = GuardRun.Run("check", "201", "--target", "pve2", "--from", Lab);

        Assert.True(all.Exit == 0, all.ToString());
        Assert.Contains("HA resource vm:201 (started): strict HA rule 'skx-only' (pve4, pve5)", all.OutLines);
        Assert.Contains(all.OutLines, l => l.StartsWith("  pve1  CANNOT", StringComparison.Ordinal)
            && l.EndsWith("(outside strict HA rule 'skx-only' (pve4, pve5): the HA manager refuses this node)", StringComparison.Ordinal));
        Assert.Equal(2, outside.Exit);
    }

    [Fact]
    public void A_broken_rules_file_stops_the_run_naming_file_line_and_column()
    {
        using var tree = new TempTree().CopyFrom(Lab);
        File.WriteAllText(tree.PathOf("ha", "rules.cfg"), "node-affinity: skx-only\n\tnodes pve4,pve5\n\tresources vm:201\n\tstrict perhaps\n");

        var result = GuardRun.Run("scan", "--from", tree.Root);

        Assert.Equal(3, result.Exit);
        Assert.Equal($"proxclmc-guard: {tree.PathOf("ha", "rules.cfg")}:4:9: strict: 'perhaps' is not a boolean (1/on/yes/true or 0/off/no/false)", Assert.Single(result.ErrorLines));
        Assert.Equal("", result.Out);
    }
}
