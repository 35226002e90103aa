using System.Text.RegularExpressions;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Security;

/// <summary>
/// Saved plans and undo files decide what root writes to VMs: each attack edits, re-owns, opens up or replaces a real
/// file in <c>fix.undo_dir</c> of a plan made against the fake Proxmox, and <c>fix --apply</c> / <c>--undo</c> must
/// refuse it in one line without writing to any VM.
/// </summary>
public sealed class SavedPlanHardeningTests : IAsyncLifetime
{
    private readonly string _undoDir = Directory.CreateTempSubdirectory("proxclmc-saved-plan-").FullName;
    private FakeProxmox _pve = null!;
    private string _config = null!;

    public async Task InitializeAsync()
    {
        _pve = await FakePveFixture.StartAsync(RepoPaths.LabCluster);
        _pve.SetVmStatus(106, "stopped");
        _config = FakePveFixture.WriteConfig(_pve, _undoDir, extra: $"[fix]\nundo_dir = \"{_undoDir}\"");
    }

    public async Task DisposeAsync()
    {
        await _pve.DisposeAsync();
        Directory.Delete(_undoDir, recursive: true);
    }

    private string? CpuOf(int vmId) => VmConfig.Parse(_pve.GetConfigText(vmId), $"{vmId}.conf").GetValueOrThrow().Main.Get("cpu");

    /// <summary>A plan for VM 106 (host → x86-64-v2-AES), saved as root's 0600 file; its id.</summary>
    private string Plan()
    {
        var plan = GuardRun.RunAt(DateTimeOffset.UtcNow, null, "fix", "--config", _config, "--vmid", "106");
        Assert.True(plan.Exit == 2, plan.ToString());
        return Regex.Match(plan.Error, @"\d{8}-\d{6}-[0-9a-f]{4}").Value;
    }

    private string PlanFile(string planId) => Path.Combine(_undoDir, planId + ".plan.json");

    private CliResult Fix(params string[] args) => GuardRun.RunAt(DateTimeOffset.UtcNow, null, ["fix", "--config", _config, .. args]);

    [Fact]
    public void A_plan_edited_to_write_a_value_the_cluster_does_not_allow_is_not_written()
    {
        var planId = Plan();
        var text = File.ReadAllText(PlanFile(planId));
        Assert.Contains("\"newCpu\": \"x86-64-v2-AES\"", text, StringComparison.Ordinal);
        File.WriteAllText(PlanFile(planId), text.Replace("\"newCpu\": \"x86-64-v2-AES\"", "\"newCpu\": \"host,hidden=1\"", StringComparison.Ordinal));

        var apply = Fix("--apply", planId);

        Assert.True(apply.Exit == 2, apply.ToString());
        Assert.Contains("the planned value host,hidden=1 is not safe in this cluster now (host-cpu", apply.Out, StringComparison.Ordinal);
        Assert.Equal($"proxclmc-guard: applied 0 of 1 change; conflicts (changed by someone else): 106; still unsafe: 106", Assert.Single(apply.ErrorLines));
        Assert.Equal("host", CpuOf(106));
        Assert.Equal(0, _pve.CountRequests("PUT", "/config"));
    }

    [Fact]
    public void A_plan_file_owned_by_another_user_is_refused()
    {
        var planId = Plan();
        using var user = LocalUser.Create();
        user.Owns(PlanFile(planId));

        var apply = Fix("--apply", planId);

        Assert.True(apply.Exit == 78, apply.ToString());
        Assert.Equal($"proxclmc-guard: {PlanFile(planId)}: owned by uid {user.Uid}, not root; refusing it (only root writes plans and undo files)", Assert.Single(apply.ErrorLines));
        Assert.Equal("host", CpuOf(106));
        Assert.Equal(0, _pve.CountRequests("PUT", "/config"));
    }

    [Fact]
    public void A_plan_file_others_can_write_is_refused()
    {
        var planId = Plan();
        File.SetUnixFileMode(PlanFile(planId), (UnixFileMode)0x1B6);

        var apply = Fix("--apply", planId);

        Assert.True(apply.Exit == 78, apply.ToString());
        Assert.Equal($"proxclmc-guard: {PlanFile(planId)}: mode 0666, open to group or others; refusing it (plans and undo files are root's, 0600: if you trust its content, chmod 600 {PlanFile(planId)})", Assert.Single(apply.ErrorLines));
        Assert.Equal(0, _pve.CountRequests("PUT", "/config"));
    }

    [Fact]
    public void A_plan_file_replaced_by_a_symlink_is_not_followed()
    {
        var planId = Plan();
        var elsewhere = Path.Combine(_undoDir, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        File.Move(PlanFile(planId), Path.Combine(elsewhere, "plan.json"));
        File.CreateSymbolicLink(PlanFile(planId), Path.Combine(elsewhere, "plan.json"));

        var apply = Fix("--apply", planId);

        Assert.True(apply.Exit == 78, apply.ToString());
        Assert.Equal($"proxclmc-guard: {PlanFile(planId)}: is a symbolic link; refusing to follow it", Assert.Single(apply.ErrorLines));
        Assert.Equal("host", CpuOf(106));
        Assert.Equal(0, _pve.CountRequests("PUT", "/config"));
    }

    [Fact]
    public void An_undo_file_of_another_cluster_is_refused_and_one_written_before_the_cluster_was_recorded_still_undoes()
    {
        var planId = Plan();
        Assert.True(Fix("--apply", planId).Exit == 0);
        Assert.Equal("x86-64-v2-AES", CpuOf(106));
        var undoFile = Path.Combine(_undoDir, planId + ".undo.jsonl");
        var text = File.ReadAllText(undoFile);
        Assert.Contains("\"cluster\":\"lab\"", text, StringComparison.Ordinal);

        File.WriteAllText(undoFile, text.Replace("\"cluster\":\"lab\"", "\"cluster\":\"prod\"", StringComparison.Ordinal));
        var other = Fix("--undo", planId);

        Assert.True(other.Exit == 64, other.ToString());
        Assert.Equal($"proxclmc-guard: --undo {planId}: the undo file holds writes to cluster 'prod', this is cluster 'lab'", Assert.Single(other.ErrorLines));
        Assert.Equal("x86-64-v2-AES", CpuOf(106));

        // As an older version wrote it: no cluster in the records; the plan beside it names this cluster.
        File.WriteAllText(undoFile, text.Replace(",\"cluster\":\"lab\"", "", StringComparison.Ordinal));
        var legacy = Fix("--undo", planId);

        Assert.True(legacy.Exit == 0, legacy.ToString());
        Assert.Equal("host", CpuOf(106));
    }
}
