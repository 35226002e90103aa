using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.Fix;

/// <summary>
/// Given the mixed-vendor cluster (hsw and sky Intel, epyc AMD), the reason <c>fix</c> prints for each VM names the
/// cause of its verdict: the +flag or model that exceeds the baseline and what each node lacks, the host CPU, a cpu
/// value Proxmox ignores; the plan's JSON and the table say the same.
/// </summary>
public sealed class FixReasonTests
{
    private static readonly string Cluster = GuardRun.Fixture("mixed-vendor-cluster");

    private static Dictionary<int, string> Reasons(CliResult result)
    {
        using var doc = JsonDocument.Parse(result.Out);
        return doc.RootElement.GetProperty("plan").GetProperty("entries").EnumerateArray()
            .ToDictionary(e => e.GetProperty("vmId").GetInt32(), e => e.GetProperty("reason").GetString()!);
    }

    [Fact]
    public void Each_reason_names_the_real_cause_of_the_verdict()
    {
        var json = GuardRun.Run("fix", "--from", Cluster, "--format", "json");
        var table = GuardRun.Run("fix", "--from", Cluster);

        var reasons = Reasons(json);
        Assert.Equal("+virt-ssbd on x86-64-v2-AES exceeds the baseline: hsw lacks virt-ssbd (not on Intel); sky lacks virt-ssbd (not on Intel); drops +virt-ssbd", reasons[212]);
        Assert.Equal("+nested-virt on x86-64-v2-AES exceeds the baseline: epyc lacks nested-virt (not on AMD); drops +nested-virt", reasons[213]);
        Assert.Equal("Haswell-v2 exceeds the baseline: epyc (vendor AuthenticAMD, model needs GenuineIntel)", reasons[220]);
        Assert.StartsWith("host passes the node's CPU through; nodes differ: ", reasons[221], StringComparison.Ordinal);
        Assert.Equal(
            $"safe as Proxmox starts it, but {Path.Combine(Cluster, "nodes", "hsw", "qemu-server", "201.conf")}:3: flag 'avx2' is not allowed in a VM config: Proxmox ignores this cpu value and starts kvm64: not rewritten (correct the cpu line by hand)",
            reasons[201]);
        Assert.StartsWith("args: -cpu overrides the cpu option: edit args by hand (manual); args: -cpu Opteron_G3 exceeds the baseline: hsw (vendor GenuineIntel, model needs AuthenticAMD;", reasons[223], StringComparison.Ordinal);

        // The table (240 columns here) shows the same reason, whole when it fits.
        Assert.Contains(table.OutLines, l => l.StartsWith("  220 ", StringComparison.Ordinal) && l.EndsWith(reasons[220], StringComparison.Ordinal));
        Assert.Contains(table.OutLines, l => l.StartsWith("  212 ", StringComparison.Ordinal) && l.Contains("+virt-ssbd on x86-64-v2-AES exceeds the baseline: hsw lacks virt-ssbd", StringComparison.Ordinal));
    }
}
