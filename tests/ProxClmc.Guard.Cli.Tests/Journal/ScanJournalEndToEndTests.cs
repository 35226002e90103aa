using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;
using Xunit.Abstractions;

namespace ProxClmc.Guard.Cli.Tests.Journal;

/// <summary>
/// <c>scan --log-target journal</c> of the lab cluster into a real systemd-journald (a namespace of the test's own), then
/// read back with journalctl as an administrator would: <c>SYSLOG_IDENTIFIER=proxclmc-guard PROXCLMC_VERDICT=host-cpu</c>.
/// Where the machine has no journald (or the test is not root) the reason is written to the test output; a journald
/// that is installed but does not start fails the test.
/// </summary>
public sealed class ScanJournalEndToEndTests(ITestOutputHelper output)
{
    /// <summary>
    /// The lab scan with its log sent to <paramref name="journald"/>. Where the machine has no journald, null, after
    /// checking what a user then sees: the same verdicts and exit code, and one line saying the journal is unreachable.
    /// </summary>
    private CliResult? ScanLabIntoJournal(JournaldFixture journald)
    {
        if (!journald.IsAvailable)
        {
            output.WriteLine($"No journald on this machine ({journald.WhyUnavailable}): checking a scan whose journal is missing");
            var missing = Path.Combine(Path.GetTempPath(), $"proxclmc-no-journal-{Guid.NewGuid():N}", "socket");
            var alone = GuardRun.RunWith(new Dictionary<string, string> { ["PROXCLMC_GUARD_JOURNAL_SOCKET"] = missing }, "scan", "--from", GuardRun.Lab, "--log-target", "journal", "--format", "json");
            var offline = GuardRun.Run("scan", "--from", GuardRun.Lab, "--format", "json");
            Assert.True(alone.Exit == 2, alone.ToString());
            Assert.Equal(offline.Out, alone.Out);
            Assert.True(alone.ErrorLines.Count(l => l.StartsWith($"proxclmc-guard: cannot write to the journal at {missing} (", StringComparison.Ordinal)) == 1, alone.ToString());
            return null;
        }

        var env = new Dictionary<string, string> { ["PROXCLMC_GUARD_JOURNAL_SOCKET"] = journald.SocketPath };
        var scan = GuardRun.RunWith(env, "scan", "--from", GuardRun.Lab, "--log-target", "journal", "--format", "json");
        Assert.True(scan.Exit == 2, scan.ToString());
        return scan;
    }

    [Fact]
    public void A_scan_logs_each_host_cpu_vm_with_its_fields_and_warning_priority()
    {
        using var journald = JournaldFixture.Start();
        if (ScanLabIntoJournal(journald) is not { } scan)
        {
            return;
        }

        // The verdicts the scan itself reported: the journal must hold exactly these, no more and no fewer.
        using var report = JsonDocument.Parse(scan.Out);
        var hostCpu = report.RootElement.GetProperty("guests").EnumerateArray()
            .Where(g => g.GetProperty("verdict").GetString() == "host-cpu")
            .ToDictionary(g => g.GetProperty("vmid").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["106", "107"], hostCpu.Keys.Order(StringComparer.Ordinal));
        var baseline = report.RootElement.GetProperty("cluster").GetProperty("baseline").GetProperty("cpuType").GetString();

        var entries = journald.WaitFor(hostCpu.Count, "SYSLOG_IDENTIFIER=proxclmc-guard", "PROXCLMC_VERDICT=host-cpu");
        output.WriteLine($"journald namespace {journald.Namespace}: {entries.Count} host-cpu entries");

        Assert.Equal(hostCpu.Keys.Order(StringComparer.Ordinal), entries.Select(e => e["PROXCLMC_VMID"]).Order(StringComparer.Ordinal));
        Assert.All(entries, e =>
        {
            var guest = hostCpu[e["PROXCLMC_VMID"]];
            Assert.Equal("4", e["PRIORITY"]);
            Assert.Equal(guest.GetProperty("node").GetString(), e["PROXCLMC_NODE"]);
            Assert.Equal(guest.GetProperty("cpu").GetString(), e["PROXCLMC_CPU"]);
            Assert.Equal(baseline, e["PROXCLMC_BASELINE"]);
            Assert.Contains($"VM {e["PROXCLMC_VMID"]} ", e["MESSAGE"], StringComparison.Ordinal);
        });
        Assert.Equal("host", entries.Single(e => e["PROXCLMC_VMID"] == "106")["PROXCLMC_CPU"]);
        Assert.Equal("max", entries.Single(e => e["PROXCLMC_VMID"] == "107")["PROXCLMC_CPU"]);
    }

    [Fact]
    public void A_scan_logs_each_ignored_vm_at_notice_priority()
    {
        // A VM administrator who may edit tags can hide a VM from the guard: every skip leaves a notice (priority 5).
        using var journald = JournaldFixture.Start();
        if (ScanLabIntoJournal(journald) is not { } scan)
        {
            return;
        }

        var entry = Assert.Single(journald.WaitFor(1, "SYSLOG_IDENTIFIER=proxclmc-guard", "PROXCLMC_VERDICT=ignored"));
        Assert.Equal("115", entry["PROXCLMC_VMID"]);
        Assert.Equal("5", entry["PRIORITY"]);
        Assert.StartsWith("VM 115 (", entry["MESSAGE"], StringComparison.Ordinal);
        Assert.Contains("ignored, not checked: ", entry["MESSAGE"], StringComparison.Ordinal);
        Assert.False(entry.ContainsKey("PROXCLMC_JOURNALPRIORITY"));
    }
}
