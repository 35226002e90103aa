using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Ha;

/// <summary>
/// <c>fix --strategy placement</c> against the fake Proxmox (PVE 9, groups already migrated): the plan pins an
/// unsafe HA guest with a strict node-affinity rule instead of lowering its cpu; <c>--apply</c> writes the rule,
/// a re-scan shows the guest safe, and <c>fix --undo</c> removes the rule again.
/// </summary>
public sealed class HaPlacementFixTests : IDisposable
{
    private readonly TempTree _lab;
    private readonly TempTree _dir = new();

    public HaPlacementFixTests()
    {
        // The ha-lab after PVE 9's migration of its group: no groups.cfg, the group became a rule.
        _lab = new TempTree().CopyFrom(RepoPaths.HaLab);
        File.Delete(_lab.PathOf("ha", "groups.cfg"));
        File.WriteAllText(_lab.PathOf("ha", "resources.cfg"), File.ReadAllText(_lab.PathOf("ha", "resources.cfg")).Replace("\tgroup v3-nodes\n", "", StringComparison.Ordinal));
        File.AppendAllText(_lab.PathOf("ha", "rules.cfg"), "\nnode-affinity: ha-group-v3-nodes\n\tnodes pve2,pve3\n\tresources vm:203,vm:204\n\tstrict 1\n");
    }

    public void Dispose()
    {
        _lab.Dispose();
        _dir.Dispose();
    }

    private string Config(FakeProxmox pve) => _dir.Write(
        $"""
        [api]
        url = "{pve.Url}"
        token_id = "{FakeProxmox.TokenId}"
        token_secret_file = "{pve.TokenFile}"
        ca_file = "{pve.CaCertificatePath}"

        [facts]
        source = "api"
        cache_file = "{_dir.PathOf("cache.json")}"

        [fix]
        undo_dir = "{_dir.PathOf("undo")}"
        """,
        "guard.toml");

    private static JsonElement Guest(CliResult scan, int vmid)
    {
        using var doc = JsonDocument.Parse(scan.Out);
        return doc.RootElement.GetProperty("guests").EnumerateArray().Single(g => g.GetProperty("vmid").GetInt32() == vmid).Clone();
    }

    [Fact]
    public async Task Apply_writes_a_strict_rule_a_rescan_shows_the_guest_safe_and_undo_removes_it()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = _lab.Root });
        var config = Config(pve);

        var before = GuardRun.Run("scan", "--config", config, "--format", "json");
        var apply = GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--apply", "--config", config);
        var after = GuardRun.Run("scan", "--config", config, "--format", "json");

        Assert.Equal("exceeds-baseline", Guest(before, 205).GetProperty("verdict").GetString());
        Assert.True(apply.Exit == 0, apply.ToString());
        var planId = apply.OutLines[0].Split(' ')[2].TrimEnd(':');
        Assert.Contains("  205    ci-runner pve4   x86-64-v3  rule proxclmc-vm205", apply.OutLines);
        Assert.Contains("         keeps cpu x86-64-v3 and the nodes pve2, pve3, pve4, pve5; loses pve1", apply.OutLines);
        Assert.Contains("node-affinity: proxclmc-vm205\n\tnodes pve2,pve3,pve4,pve5\n\tresources vm:205\n\tstrict 1\n", pve.Ha.FileText("rules"), StringComparison.Ordinal);
        var fixedGuest = Guest(after, 205);
        Assert.Equal("ok", fixedGuest.GetProperty("verdict").GetString());
        Assert.Equal("x86-64-v3", fixedGuest.GetProperty("cpuOption").GetString()); // the cpu is not touched
        Assert.Equal("every node of strict HA rule 'proxclmc-vm205' (pve2, pve3, pve4, pve5) can run x86-64-v3", fixedGuest.GetProperty("reason").GetString());
        Assert.True(File.Exists(_dir.PathOf("undo", planId + ".placement.jsonl")));

        var undo = GuardRun.Run("fix", "--undo", planId, "--config", config);
        var undone = GuardRun.Run("scan", "--config", config, "--format", "json");

        Assert.True(undo.Exit == 0, undo.ToString());
        Assert.Contains("  205: removed rule 'proxclmc-vm205'", undo.OutLines);
        Assert.DoesNotContain("proxclmc-vm205", pve.Ha.FileText("rules"), StringComparison.Ordinal);
        Assert.Equal("exceeds-baseline", Guest(undone, 205).GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task Undo_leaves_a_rule_alone_that_someone_changed_since()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = _lab.Root });
        var config = Config(pve);
        var apply = GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--apply", "--config", config);
        var planId = apply.OutLines[0].Split(' ')[2].TrimEnd(':');

        // The administrator narrowed the rule by hand since.
        pve.Ha.SetFileText("rules", pve.Ha.FileText("rules")!.Replace("nodes pve2,pve3,pve4,pve5\n\tresources vm:205", "nodes pve4,pve5\n\tresources vm:205", StringComparison.Ordinal));
        var undo = GuardRun.Run("fix", "--undo", planId, "--config", config);

        Assert.Equal(2, undo.Exit);
        Assert.Contains("  205: rule 'proxclmc-vm205' was changed since; left alone", undo.OutLines);
        Assert.Contains("proxclmc-vm205", pve.Ha.FileText("rules"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_writes_nothing_when_the_HA_configuration_changed_after_planning()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = _lab.Root });
        var config = Config(pve);
        var changed = false;

        // The scan reads the rules once and the plan takes their digest once; before the first write the digest is
        // read again: someone adds a rule just then.
        pve.RequestStarted += () =>
        {
            if (!changed && pve.Requests.Count(r => r.Method == "GET" && r.Path == "/cluster/ha/rules") == 2)
            {
                changed = true;
                pve.Ha.SetFileText("rules", pve.Ha.FileText("rules") + "\nnode-affinity: added-meanwhile\n\tnodes pve1\n\tresources vm:208\n");
            }
        };

        var apply = GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--apply", "--config", config);

        Assert.Equal(2, apply.Exit);
        Assert.Contains("the HA configuration changed since it was planned", Assert.Single(apply.ErrorLines), StringComparison.Ordinal);
        Assert.EndsWith("wrote 0 of 1, nothing more", apply.ErrorLines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("proxclmc-vm205", pve.Ha.FileText("rules"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_Proxmox_VE_8_apply_makes_a_restricted_group_and_undo_removes_it()
    {
        using var lab = new TempTree().CopyFrom(RepoPaths.HaLab);
        File.Delete(lab.PathOf("ha", "rules.cfg"));
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = lab.Root, Release = PveRelease.Parse("8.4") });
        var config = Config(pve);

        var apply = GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--apply", "--config", config);
        var after = GuardRun.Run("scan", "--config", config, "--format", "json");

        Assert.True(apply.Exit == 0, apply.ToString());
        Assert.Contains("group: proxclmc-vm205\n\tnodes pve2,pve3,pve4,pve5\n\trestricted 1\n", pve.Ha.FileText("groups"), StringComparison.Ordinal);
        Assert.Contains("vm: 205\n\tgroup proxclmc-vm205\n", pve.Ha.FileText("resources"), StringComparison.Ordinal);
        Assert.Equal("every node of restricted HA group 'proxclmc-vm205' (pve2, pve3, pve4, pve5) can run x86-64-v3", Guest(after, 205).GetProperty("reason").GetString());

        var planId = apply.OutLines[0].Split(' ')[2].TrimEnd(':');
        var undo = GuardRun.Run("fix", "--undo", planId, "--config", config);

        Assert.True(undo.Exit == 0, undo.ToString());
        Assert.DoesNotContain("proxclmc-vm205", pve.Ha.FileText("groups"), StringComparison.Ordinal);
        Assert.DoesNotContain("proxclmc-vm205", pve.Ha.FileText("resources"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_Proxmox_VE_9_before_the_group_migration_no_rule_is_written()
    {
        // The unedited ha-lab still has groups.cfg: Proxmox refuses new rules until the groups are migrated.
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = RepoPaths.HaLab });

        var apply = GuardRun.Run("fix", "--strategy", "placement", "--vmid", "205", "--apply", "--config", Config(pve));

        Assert.Equal(2, apply.Exit);
        Assert.Equal("proxclmc-guard: the HA groups have not been migrated to rules yet (Proxmox VE 9 does it once every node runs 9): no rule can be created now", Assert.Single(apply.ErrorLines));
        Assert.DoesNotContain(pve.Requests, r => r.Method != "GET");
    }

    [Fact]
    public void A_plan_from_a_snapshot_shows_what_each_guest_keeps_and_loses_and_applies_nothing()
    {
        var plan = GuardRun.Run("fix", "--strategy", "placement", "--from", RepoPaths.HaLab);
        var apply = GuardRun.Run("fix", "--strategy", "placement", "--apply", "--from", RepoPaths.HaLab);

        Assert.Equal(2, plan.Exit);
        Assert.StartsWith("Placement plan ", plan.OutLines[0], StringComparison.Ordinal);
        Assert.EndsWith(": restricted HA groups (Proxmox VE 8); cpu values are not changed", plan.OutLines[0], StringComparison.Ordinal);
        Assert.Contains("  205    ci-runner pve4   x86-64-v3  group proxclmc-vm205", plan.OutLines);
        Assert.Contains("  210    scratch   pve4   x86-64-v4  hookscript", plan.OutLines);
        Assert.Equal(64, apply.Exit);
    }
}
