using System.Text.Json;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Fix;

/// <summary>
/// <c>fix --to best</c> through the fake Proxmox: plan, apply, re-scan. Every changed guest comes out <c>ok</c>, none
/// below the cluster's level, and a guest HA confines to some nodes gets the richest CPU of those nodes.
/// </summary>
public sealed class FixBestTests : IDisposable
{
    private static readonly string[] Levels = ["kvm64", "x86-64-v2", "x86-64-v2-AES", "x86-64-v3", "x86-64-v4"];

    private readonly TempTree _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Config(FakeProxmox pve) => FakePveFixture.WriteConfig(pve, _dir.Root, extra: $"[fix]\nundo_dir = \"{_dir.PathOf("undo")}\"\ninclude_running = true");

    /// <summary>A maintenance window: every VM stopped, so a rewrite takes effect at once (not in [PENDING]).</summary>
    private static void StopAll(FakeProxmox pve, string config)
    {
        foreach (var vmid in Guests(GuardRun.Run("scan", "--config", config, "--format", "json")).Where(g => g.Value.GetProperty("type").GetString() == "qemu").Select(g => g.Key))
        {
            pve.SetVmStatus(vmid, "stopped");
        }
    }

    private static string PlanId(CliResult plan)
    {
        var match = Regex.Match(plan.Error, @"fix --apply (\d{8}-\d{6}-[0-9a-f]{4})`");
        Assert.True(match.Success, plan.ToString());
        return match.Groups[1].Value;
    }

    private static List<JsonElement> Entries(CliResult plan)
    {
        using var doc = JsonDocument.Parse(plan.Out);
        return doc.RootElement.GetProperty("plan").GetProperty("entries").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    private static Dictionary<int, JsonElement> Guests(CliResult scan)
    {
        using var doc = JsonDocument.Parse(scan.Out);
        return doc.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("vmid").GetInt32(), g => g.Clone());
    }

    [Fact]
    public async Task Lab_every_changed_guest_is_ok_after_apply_and_none_is_below_the_cluster_level()
    {
        await using var pve = await FakePveFixture.StartAsync(RepoPaths.LabCluster);
        var config = Config(pve);
        StopAll(pve, config);

        var plan = GuardRun.Run("fix", "--to", "best", "--config", config, "--format", "json");
        var changes = Entries(plan).Where(e => e.GetProperty("action").GetString() == "change").ToList();
        var apply = GuardRun.Run("fix", "--apply", PlanId(GuardRun.Run("fix", "--to", "best", "--config", config)), "--config", config);
        var scan = Guests(GuardRun.Run("scan", "--config", config, "--format", "json"));

        Assert.NotEmpty(changes);
        Assert.True(apply.Exit is 0 or 2, apply.ToString());
        foreach (var change in changes)
        {
            var vmid = change.GetProperty("vmId").GetInt32();
            var cpu = change.GetProperty("newCpu").GetString()!;
            Assert.Contains("takes effect at the next full stop and start of the VM (a reboot inside the guest is not enough)", change.GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.Equal("ok", scan[vmid].GetProperty("verdict").GetString());
            Assert.Equal(cpu, scan[vmid].GetProperty("cpu").GetString());

            // Never below x86-64-v2-AES, the lab's level: the richest type here is a named model above it.
            Assert.DoesNotContain(cpu.Split(',')[0], Levels[..2]);
        }

        var host = changes.Single(e => e.GetProperty("vmId").GetInt32() == 106);
        Assert.Matches("loses .*avx2.* \\(what pve2 gives a host guest beyond ", host.GetProperty("reason").GetString()!);
    }

    [Fact]
    public async Task A_guest_HA_confines_to_two_nodes_gets_their_richest_CPU_richer_than_the_clusters()
    {
        var lab = new TempTree().CopyFrom(RepoPaths.HaLab);
        try
        {
            // web1 (VM 203) may run only on pve2 and pve3 (restricted group v3-nodes); with cpu: host it is unsafe there.
            var vm = lab.PathOf("nodes", "pve2", "qemu-server", "203.conf");
            File.WriteAllText(vm, File.ReadAllText(vm).Replace("cpu: x86-64-v3", "cpu: host", StringComparison.Ordinal));
            await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = lab.Root });
            var config = Config(pve);
            StopAll(pve, config);

            var plan = GuardRun.Run("fix", "--to", "best", "--config", config, "--format", "json");
            var entries = Entries(plan).ToDictionary(e => e.GetProperty("vmId").GetInt32());
            var apply = GuardRun.Run("fix", "--apply", PlanId(GuardRun.Run("fix", "--to", "best", "--config", config)), "--config", config);
            var scan = Guests(GuardRun.Run("scan", "--config", config, "--format", "json"));

            Assert.True(apply.Exit == 0, apply.ToString());
            var web1 = entries[203].GetProperty("newCpu").GetString()!;
            var everywhere = entries[205].GetProperty("newCpu").GetString()!;
            Assert.Equal("SandyBridge-IBRS", everywhere);
            Assert.NotEqual(everywhere, web1);
            Assert.Equal("ok", scan[203].GetProperty("verdict").GetString());
            Assert.Equal(web1, scan[203].GetProperty("cpu").GetString());

            // Its CPU needs more than the cluster gives: it is refused on the Sandy Bridge node it may not run on.
            var check = GuardRun.Run("check", "203", "--target", "pve1", "--config", config);
            Assert.Equal(2, check.Exit);
            foreach (var vmid in entries.Where(e => e.Value.GetProperty("action").GetString() == "change").Select(e => e.Key))
            {
                Assert.Equal("ok", scan[vmid].GetProperty("verdict").GetString());
            }
        }
        finally
        {
            lab.Dispose();
        }
    }
}
