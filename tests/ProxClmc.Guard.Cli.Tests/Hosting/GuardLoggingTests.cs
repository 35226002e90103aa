using System.Net.Sockets;
using System.Text;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Infrastructure.Journal;
using Serilog.Events;

namespace ProxClmc.Guard.Cli.Tests.Hosting;

public sealed class GuardLoggingTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("proxclmc-journal-").FullName;
    private readonly Socket journal = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { ReceiveTimeout = 30_000 };
    private readonly string socketPath;

    public GuardLoggingTests()
    {
        socketPath = Path.Combine(directory, "socket");
        journal.Bind(new UnixDomainSocketEndPoint(socketPath));
    }

    public void Dispose()
    {
        journal.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private string Receive()
    {
        var buffer = new byte[65536];
        return Encoding.UTF8.GetString(buffer, 0, journal.Receive(buffer));
    }

    [Fact]
    public void Under_a_systemd_unit_the_log_goes_to_the_journal_with_structured_fields()
    {
        Func<string, string?> environment = name => name switch
        {
            "INVOCATION_ID" => "5f1c2e0a9b7d4e3f8a6b5c4d3e2f1a0b",
            "PROXCLMC_GUARD_JOURNAL_SOCKET" => socketPath,
            _ => null,
        };

        using (var log = GuardLogging.Create(null, LogEventLevel.Information, environment))
        {
            log.Debug("not at the default level");
            log.Warning("VM {VmId} on {Node}: {Verdict}", 101, "pve1", "host-cpu");
        }

        var datagram = Receive();
        Assert.Contains("MESSAGE=VM 101 on pve1: host-cpu\n", datagram);
        Assert.Contains("PRIORITY=4\n", datagram);
        Assert.Contains("SYSLOG_IDENTIFIER=proxclmc-guard\n", datagram);
        Assert.Contains("PROXCLMC_VERDICT=host-cpu\n", datagram);
    }

    [Fact]
    public void Log_target_journal_is_honoured_from_a_shell_and_verbose_includes_debug()
    {
        Func<string, string?> environment = name => name == "PROXCLMC_GUARD_JOURNAL_SOCKET" ? socketPath : null;

        using (var log = GuardLogging.Create(LogTarget.Journal, LogEventLevel.Debug, environment))
        {
            log.Debug("Reading {Node}", "pve2");
        }

        var datagram = Receive();
        Assert.Contains("MESSAGE=Reading pve2\n", datagram);
        Assert.Contains("PRIORITY=7\n", datagram);
    }

    [Fact]
    public void A_unit_socket_is_detected_as_a_file()
    {
        // The detection's default existence check must see a unix socket (not a regular file) as present.
        Assert.True(File.Exists(socketPath));
    }
}
