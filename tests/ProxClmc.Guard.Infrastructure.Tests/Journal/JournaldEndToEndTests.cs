using ProxClmc.Guard.Infrastructure.Journal;
using ProxClmc.Guard.Testing;
using Serilog;
using Xunit.Abstractions;

namespace ProxClmc.Guard.Infrastructure.Tests.Journal;

/// <summary>
/// Through a real systemd-journald (a namespace of the test's own, see <see cref="JournaldFixture"/>) and back out with
/// journalctl, as an administrator would query it. Where the machine has no journald (or the test is not root) the
/// reason is written to the test output; a journald that is installed but does not work fails the test.
/// </summary>
public sealed class JournaldEndToEndTests(ITestOutputHelper output)
{
    /// <summary>What a user sees where there is no journal: the events are dropped, with one notice saying so.</summary>
    private void AssertEventsAreDroppedWithOneNotice(string why)
    {
        output.WriteLine($"No journald on this machine ({why}): checking a sink whose journal is missing");
        var socket = Path.Combine(Path.GetTempPath(), $"proxclmc-no-journal-{Guid.NewGuid():N}", "socket");
        var notices = new StringWriter { NewLine = "\n" };
        using (var log = new LoggerConfiguration()
                   .WriteTo.Journald(new JournaldSinkOptions { SocketPath = socket, ErrorOutput = notices })
                   .CreateLogger())
        {
            log.Warning("VM {VmId} on {Node} uses {Cpu}: {Verdict}", 101, "pve1", "host", "host-cpu");
            log.Warning("VM {VmId} on {Node} uses {Cpu}: {Verdict}", 205, "pve2", "host", "host-cpu");
        }

        var line = Assert.Single(notices.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"proxclmc-guard: cannot write to the journal at {socket} (", line, StringComparison.Ordinal);
        Assert.EndsWith("); log events are dropped", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsafe_guest_warnings_are_found_by_verdict_with_their_priority()
    {
        using var journald = JournaldFixture.Start();
        if (!journald.IsAvailable)
        {
            AssertEventsAreDroppedWithOneNotice(journald.WhyUnavailable!);
            return;
        }

        using (var log = new LoggerConfiguration()
                   .MinimumLevel.Debug()
                   .WriteTo.Journald(new JournaldSinkOptions { SocketPath = journald.SocketPath, ErrorOutput = null })
                   .CreateLogger())
        {
            foreach (var (vmid, node) in new[] { (101, "pve1"), (205, "pve2") })
            {
                log.Warning("VM {VmId} on {Node} uses {Cpu}: {Verdict}, cluster baseline {Baseline}", vmid, node, "host", "host-cpu", "x86-64-v2-AES");
            }

            log.Warning("VM {VmId} on {Node} uses {Cpu}: {Verdict}, cluster baseline {Baseline}", 300, "pve3", "x86-64-v4", "exceeds-baseline", "x86-64-v2-AES");
            log.Information("Scan finished: {Unsafe} unsafe of {Guests} guests", 3, 12);
        }

        var entries = journald.WaitFor(2, "SYSLOG_IDENTIFIER=proxclmc-guard", "PROXCLMC_VERDICT=host-cpu");

        output.WriteLine($"journald namespace {journald.Namespace}: {entries.Count} host-cpu entries");
        Assert.Equal(["101", "205"], entries.Select(e => e["PROXCLMC_VMID"]).Order());
        Assert.All(entries, e =>
        {
            Assert.Equal("4", e["PRIORITY"]);
            Assert.Equal("host", e["PROXCLMC_CPU"]);
            Assert.Equal("x86-64-v2-AES", e["PROXCLMC_BASELINE"]);
            Assert.Equal("journal", e["_TRANSPORT"]);
        });
        Assert.Equal("VM 101 on pve1 uses host: host-cpu, cluster baseline x86-64-v2-AES",
            entries.Single(e => e["PROXCLMC_VMID"] == "101")["MESSAGE"]);

        var all = journald.WaitFor(4, "SYSLOG_IDENTIFIER=proxclmc-guard");
        Assert.Equal(4, all.Count);
        Assert.Equal("6", all.Single(e => e["MESSAGE"].StartsWith("Scan finished", StringComparison.Ordinal))["PRIORITY"]);
    }

    [Fact]
    public void Journald_accepts_multi_line_fields_and_entries_too_large_for_a_datagram()
    {
        using var journald = JournaldFixture.Start();
        if (!journald.IsAvailable)
        {
            AssertEventsAreDroppedWithOneNotice(journald.WhyUnavailable!);
            return;
        }

        var large = string.Concat(Enumerable.Range(0, 40_000).Select(i => $"{i:D7} "));
        using (var log = new LoggerConfiguration()
                   .WriteTo.Journald(new JournaldSinkOptions { SocketPath = journald.SocketPath, ErrorOutput = null })
                   .CreateLogger())
        {
            log.Warning("two\nlines for {VmId}", 401);
            log.Warning("large report for {VmId}: {Detail}", 402, large);
        }

        var multiLine = journald.WaitFor(1, "PROXCLMC_VMID=401");
        var memfd = journald.WaitFor(1, "PROXCLMC_VMID=402");

        Assert.Equal("two\nlines for 401", Assert.Single(multiLine)["MESSAGE"]);
        Assert.True(large.Length > 256 * 1024);
        Assert.Equal(large, Assert.Single(memfd)["PROXCLMC_DETAIL"]);
    }
}
