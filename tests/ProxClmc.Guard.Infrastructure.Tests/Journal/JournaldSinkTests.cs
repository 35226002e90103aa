using System.Net.Sockets;
using ProxClmc.Guard.Infrastructure.Journal;
using Serilog;
using Serilog.Events;

namespace ProxClmc.Guard.Infrastructure.Tests.Journal;

/// <summary>The sink against a unix datagram socket the test binds itself, read back as journald would.</summary>
public sealed class JournaldSinkTests : IDisposable
{
    private readonly UnixDatagramReceiver journal = new();

    public void Dispose() => journal.Dispose();

    private Serilog.Core.Logger Logger(TextWriter? errors = null, bool alwaysMemfd = false) =>
        new LoggerConfiguration()
            .MinimumLevel.Verbose()
            .WriteTo.Journald(new JournaldSinkOptions { SocketPath = journal.Path, ErrorOutput = errors, AlwaysUseMemfd = alwaysMemfd })
            .CreateLogger();

    [Fact]
    public void An_unsafe_guest_warning_becomes_one_entry_with_its_structured_fields()
    {
        using (var log = Logger())
        {
            log.Warning("VM {VmId} on {Node} uses {Cpu}, above the cluster baseline {Baseline} ({Verdict})",
                101, "pve1", "host", "x86-64-v3", "host-cpu");
        }

        var fields = JournalDatagram.Decode(journal.Receive());

        Assert.Equal("VM 101 on pve1 uses host, above the cluster baseline x86-64-v3 (host-cpu)", fields.Single("MESSAGE"));
        Assert.Equal("4", fields.Single("PRIORITY"));
        Assert.Equal("proxclmc-guard", fields.Single("SYSLOG_IDENTIFIER"));
        Assert.Equal("101", fields.Single("PROXCLMC_VMID"));
        Assert.Equal("pve1", fields.Single("PROXCLMC_NODE"));
        Assert.Equal("host", fields.Single("PROXCLMC_CPU"));
        Assert.Equal("x86-64-v3", fields.Single("PROXCLMC_BASELINE"));
        Assert.Equal("host-cpu", fields.Single("PROXCLMC_VERDICT"));
    }

    [Fact]
    public void A_name_from_a_hostile_API_cannot_put_a_line_break_or_an_escape_sequence_into_MESSAGE()
    {
        using (var log = Logger())
        {
            log.Warning("VM {VmId} ({Name}) exceeds the baseline", 103, "web\nPRIORITY=0\u001b[2J\u202Eevil");
        }

        var fields = JournalDatagram.Decode(journal.Receive());

        Assert.Equal("VM 103 (web\\x0APRIORITY=0\\x1B[2J\\u202Eevil) exceeds the baseline", fields.Single("MESSAGE"));
        Assert.Equal("4", fields.Single("PRIORITY"));
    }

    [Fact]
    public void A_verdict_is_written_by_its_report_name()
    {
        using (var log = Logger())
        {
            log.Warning("VM {VmId}: {Verdict}", 102, ProxClmc.Guard.Core.Compliance.Verdict.ExceedsBaseline);
        }

        var fields = JournalDatagram.Decode(journal.Receive());

        Assert.Equal("exceeds-baseline", fields.Single("PROXCLMC_VERDICT"));
        Assert.Equal("VM 102: exceeds-baseline", fields.Single("MESSAGE"));
    }

    [Fact]
    public void A_property_already_named_for_the_journal_keeps_its_name()
    {
        using (var log = Logger())
        {
            log.ForContext("PROXCLMC_VERDICT", "exceeds-baseline").Information("scan {RunId}", "r-7");
        }

        var fields = JournalDatagram.Decode(journal.Receive());

        Assert.Equal("exceeds-baseline", fields.Single("PROXCLMC_VERDICT"));
        Assert.Equal("r-7", fields.Single("PROXCLMC_RUNID"));
        Assert.DoesNotContain(fields, f => f.Key.StartsWith("PROXCLMC_PROXCLMC", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(LogEventLevel.Verbose, "7")]
    [InlineData(LogEventLevel.Debug, "7")]
    [InlineData(LogEventLevel.Information, "6")]
    [InlineData(LogEventLevel.Warning, "4")]
    [InlineData(LogEventLevel.Error, "3")]
    [InlineData(LogEventLevel.Fatal, "2")]
    public void Levels_map_to_syslog_priorities(LogEventLevel level, string priority)
    {
        using (var log = Logger())
        {
            log.Write(level, "level test");
        }

        Assert.Equal(priority, JournalDatagram.Decode(journal.Receive()).Single("PRIORITY"));
    }

    [Fact]
    public void An_exception_travels_as_a_multi_line_field()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("node pve3 did not answer");
        }
        catch (InvalidOperationException e)
        {
            thrown = e;
        }

        using (var log = Logger())
        {
            log.Error(thrown, "Scan failed");
        }

        var fields = JournalDatagram.Decode(journal.Receive());

        Assert.Equal("Scan failed", fields.Single("MESSAGE"));
        Assert.Equal("3", fields.Single("PRIORITY"));
        var exception = fields.Single("EXCEPTION");
        Assert.StartsWith("System.InvalidOperationException: node pve3 did not answer\n", exception);
        Assert.Contains("An_exception_travels_as_a_multi_line_field", exception);
    }

    [Fact]
    public void An_entry_larger_than_a_datagram_is_passed_as_a_sealed_memfd()
    {
        var large = new string('x', 300 * 1024);
        using (var log = Logger())
        {
            log.Warning("{Detail}", large);
        }

        var (content, seals, dataLength) = journal.ReceiveFd();

        Assert.Equal(0, dataLength);
        Assert.Equal(0b1111, seals); // F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE
        var fields = JournalDatagram.Decode(content);
        Assert.Equal(large, fields.Single("MESSAGE"));
        Assert.Equal(large, fields.Single("PROXCLMC_DETAIL"));
    }

    [Fact]
    public void The_memfd_path_carries_the_same_fields_as_a_datagram()
    {
        using (var log = Logger(alwaysMemfd: true))
        {
            log.Information("first line\nsecond line {VmId}", 205);
        }

        var (content, seals, _) = journal.ReceiveFd();

        Assert.Equal(0b1111, seals);
        var fields = JournalDatagram.Decode(content);
        Assert.Equal("first line\nsecond line 205", fields.Single("MESSAGE"));
        Assert.Equal("205", fields.Single("PROXCLMC_VMID"));
    }

    [Fact]
    public void A_missing_journal_drops_events_and_says_so_once()
    {
        var errors = new StringWriter();
        var missing = Path.Combine(Path.GetTempPath(), "proxclmc-no-journal-" + Guid.NewGuid().ToString("N"), "socket");
        using (var log = new LoggerConfiguration()
                   .WriteTo.Journald(new JournaldSinkOptions { SocketPath = missing, ErrorOutput = errors })
                   .CreateLogger())
        {
            log.Warning("first");
            log.Warning("second");
            log.Warning("{Detail}", new string('y', 300 * 1024));
        }

        var notice = errors.ToString();
        Assert.Contains(missing, notice);
        Assert.Single(notice.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_journal_that_went_away_does_not_stop_logging()
    {
        var errors = new StringWriter();
        var path = journal.SecondName();
        using var log = new LoggerConfiguration()
            .WriteTo.Journald(new JournaldSinkOptions { SocketPath = path, ErrorOutput = errors })
            .CreateLogger();
        log.Information("before");
        Assert.Equal("before", JournalDatagram.Decode(journal.Receive()).Single("MESSAGE"));

        // The socket file stays behind with nobody reading it: sendto() gets ECONNREFUSED.
        journal.Socket.Close();
        log.Information("after");
        log.Information("{Detail}", new string('z', 300 * 1024));

        Assert.True(File.Exists(path));
        Assert.Contains("no journald listens there", errors.ToString());
        Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Sealed_memfd_creation_seals_every_way_to_change_it()
    {
        var fd = JournalNative.CreateSealedMemfd("test", "MESSAGE=sealed\n"u8);
        try
        {
            Assert.Equal(JournalNative.AllSeals, JournalNative.GetSeals(fd));
            Assert.Equal("MESSAGE=sealed\n", File.ReadAllText($"/proc/self/fd/{fd}"));
            Assert.ThrowsAny<UnauthorizedAccessException>(() => File.AppendAllText($"/proc/self/fd/{fd}", "more"));
        }
        finally
        {
            JournalNative.CloseFd(fd);
        }
    }

    [Fact]
    public void Sending_to_an_abstract_socket_works_like_a_path()
    {
        using var abstractJournal = new UnixDatagramReceiver("proxclmc-journal-" + Guid.NewGuid().ToString("N"));
        using (var log = new LoggerConfiguration()
                   .WriteTo.Journald(new JournaldSinkOptions { SocketPath = abstractJournal.Path, AlwaysUseMemfd = true, ErrorOutput = null })
                   .CreateLogger())
        {
            log.Information("abstract {Node}", "pve2");
        }

        Assert.Equal("pve2", JournalDatagram.Decode(abstractJournal.ReceiveFd().Content).Single("PROXCLMC_NODE"));
        Assert.Equal(AddressFamily.Unix, abstractJournal.Socket.AddressFamily);
    }
}
