using ProxClmc.Guard.Infrastructure.Journal;

namespace ProxClmc.Guard.Infrastructure.Tests.Journal;

public class JournalDetectionTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.Where(v => v.Name == name).Select(v => v.Value).FirstOrDefault();

    [Theory]
    [InlineData("JOURNAL_STREAM", "8:12345", true, true)]
    [InlineData("INVOCATION_ID", "0f3c6c0e1a2b4c5d8e9f00112233aabb", true, true)]
    [InlineData("JOURNAL_STREAM", "8:12345", false, false)]
    [InlineData("INVOCATION_ID", "0f3c6c0e1a2b4c5d8e9f00112233aabb", false, false)]
    [InlineData("TERM", "xterm", true, false)]
    public void The_journal_is_used_under_systemd_when_its_socket_exists(string variable, string value, bool socketExists, bool expected)
    {
        string? asked = null;
        var result = JournalDetection.ShouldUseJournal(Env((variable, value)), path =>
        {
            asked = path;
            return socketExists;
        });

        Assert.Equal(expected, result);
        if (variable != "TERM")
        {
            Assert.Equal("/run/systemd/journal/socket", asked);
        }
    }

    [Fact]
    public void An_interactive_shell_logs_to_the_console()
    {
        Assert.Equal(LogTarget.Console, JournalDetection.Choose(null, Env(), _ => true));
    }

    [Theory]
    [InlineData(LogTarget.Console)]
    [InlineData(LogTarget.Journal)]
    public void Log_target_option_overrides_detection(LogTarget requested)
    {
        Assert.Equal(requested, JournalDetection.Choose(requested, Env(("JOURNAL_STREAM", "8:1")), _ => true));
        Assert.Equal(requested, JournalDetection.Choose(requested, Env(), _ => false));
    }

    [Theory]
    [InlineData("console", true, LogTarget.Console)]
    [InlineData("JOURNAL", true, LogTarget.Journal)]
    [InlineData("syslog", false, LogTarget.Console)]
    [InlineData(null, false, LogTarget.Console)]
    public void Log_target_values_parse(string? value, bool ok, LogTarget expected)
    {
        Assert.Equal(ok, JournalDetection.TryParse(value, out var target));
        Assert.Equal(expected, target);
    }

    [Fact]
    public void The_socket_path_can_point_at_another_journal_namespace()
    {
        Assert.Equal("/run/systemd/journal/socket", JournalDetection.SocketPath(Env()));
        Assert.Equal("/run/systemd/journal.test/socket",
            JournalDetection.SocketPath(Env(("PROXCLMC_GUARD_JOURNAL_SOCKET", "/run/systemd/journal.test/socket"))));
    }
}
