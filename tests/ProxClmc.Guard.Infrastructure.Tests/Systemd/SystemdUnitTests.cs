using System.Diagnostics;
using ProxClmc.Guard.Testing;
using Xunit.Abstractions;

namespace ProxClmc.Guard.Infrastructure.Tests.Systemd;

/// <summary>
/// contrib/systemd as systemd reads it. <c>systemd-analyze verify</c> (Debian's systemd package) checks every unit
/// without a running systemd, but insists that ExecStart= exists: when /usr/bin/proxclmc-guard is not installed, the
/// units are verified as copies whose only change is that path, pointing at a stand-in executable.
/// </summary>
public sealed class SystemdUnitTests(ITestOutputHelper output) : IDisposable
{
    private const string Binary = "/usr/bin/proxclmc-guard";
    private static readonly string[] Units = ["proxclmc-guard-scan.service", "proxclmc-guard-scan.timer", "proxclmc-guard.service", "proxclmc-guard-facts.service"];
    private static readonly string UnitDirectory = RepoPaths.Combine("contrib", "systemd");

    private readonly string scratch = Directory.CreateTempSubdirectory("proxclmc-units-").FullName;

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    private static string? SystemdAnalyze() => new[] { "/usr/bin/systemd-analyze", "/bin/systemd-analyze" }.FirstOrDefault(File.Exists);

    /// <summary>The units as they will be verified: the originals, or copies pointing at a stand-in binary.</summary>
    private List<string> UnitsToVerify()
    {
        if (File.Exists(Binary))
        {
            output.WriteLine($"verifying the units in place ({Binary} is installed)");
            return Units.Select(u => Path.Combine(UnitDirectory, u)).ToList();
        }

        var standIn = Path.Combine(scratch, "proxclmc-guard");
        File.Copy("/bin/true", standIn);
        output.WriteLine($"{Binary} not installed: verifying copies with ExecStart= pointing at {standIn}");
        return Units.Select(u =>
        {
            var copy = Path.Combine(scratch, u);
            File.WriteAllText(copy, File.ReadAllText(Path.Combine(UnitDirectory, u)).Replace(Binary, standIn, StringComparison.Ordinal));
            return copy;
        }).ToList();
    }

    private static (int ExitCode, string Output) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, (stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult()).Trim());
    }

    [Fact]
    public void Systemd_analyze_verify_accepts_the_units_without_a_single_warning()
    {
        var analyze = SystemdAnalyze();
        Assert.True(analyze is not null, "systemd-analyze is not installed: tools/test-deps.sh installs Debian's systemd package");

        var (exitCode, text) = Run(analyze, ["verify", .. UnitsToVerify()]);

        output.WriteLine(text);
        Assert.Equal(0, exitCode);
        Assert.Equal(string.Empty, text);
    }

    [Fact]
    public void Verify_does_report_a_broken_unit()
    {
        // Guards the test above: verify exits 0 on unknown keys, so only its (empty) output shows a unit is clean.
        var analyze = SystemdAnalyze();
        Assert.True(analyze is not null, "systemd-analyze is not installed: tools/test-deps.sh installs Debian's systemd package");

        var units = UnitsToVerify();
        var daemon = units.Single(u => u.EndsWith("/proxclmc-guard.service", StringComparison.Ordinal));
        var broken = Path.Combine(scratch, "broken-" + Path.GetFileName(daemon));
        File.WriteAllText(broken, File.ReadAllText(daemon).Replace("Restart=on-failure", "Restart=on-failur", StringComparison.Ordinal));

        var (_, text) = Run(analyze, "verify", broken);

        Assert.Contains(broken + ":", text);
        Assert.Contains("on-failur", text);
    }

    [Theory]
    [InlineData("proxclmc-guard.service")]
    [InlineData("proxclmc-guard-scan.service")]
    [InlineData("proxclmc-guard-facts.service")]
    public void The_services_are_hardened(string unit)
    {
        var analyze = SystemdAnalyze();
        Assert.True(analyze is not null, "systemd-analyze is not installed: tools/test-deps.sh installs Debian's systemd package");

        var file = UnitsToVerify().Single(u => Path.GetFileName(u) == unit);

        // Exposure 2.5 of 10 or less ("OK"): as far as a root service that reads /etc/pve and talks SSH can go.
        var (exitCode, text) = Run(analyze, "security", "--offline=true", "--threshold=25", "--no-pager", file);

        output.WriteLine(text.Split('\n')[^1]);
        Assert.True(exitCode == 0, text);
    }

    private static Dictionary<string, List<string>> Settings(string unit)
    {
        var settings = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var section = string.Empty;
        foreach (var raw in File.ReadAllLines(Path.Combine(UnitDirectory, unit)))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[')
            {
                section = line.Trim('[', ']');
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var key = section + "." + line[..equals];
            if (!settings.TryGetValue(key, out var values))
            {
                settings[key] = values = [];
            }

            values.Add(line[(equals + 1)..]);
        }

        return settings;
    }

    [Fact]
    public void The_scan_counts_findings_as_success_and_unreachable_nodes_as_failure()
    {
        var scan = Settings("proxclmc-guard-scan.service");

        Assert.Equal(["oneshot"], scan["Service.Type"]);
        Assert.Equal(["/usr/bin/proxclmc-guard scan --log-target journal --write-reports --once-per-cluster"], scan["Service.ExecStart"]);
        Assert.Equal(["1 2"], scan["Service.SuccessExitStatus"]);
        Assert.Equal(["proxclmc-guard"], scan["Service.StateDirectory"]);
    }

    [Fact]
    public void Every_scan_publishes_this_nodes_facts_first_with_only_dev_kvm_and_its_pmxcfs_folder()
    {
        var scan = Settings("proxclmc-guard-scan.service");
        var facts = Settings("proxclmc-guard-facts.service");

        Assert.Contains("proxclmc-guard-facts.service", scan["Unit.Wants"].Single().Split(' '));
        Assert.Contains("proxclmc-guard-facts.service", scan["Unit.After"].Single().Split(' '));
        Assert.Equal(["oneshot"], facts["Service.Type"]);
        Assert.Equal(["/usr/bin/proxclmc-guard facts --publish --log-target journal"], facts["Service.ExecStart"]);
        Assert.Equal(["/dev/kvm rw"], facts["Service.DeviceAllow"]);
        Assert.Equal(["closed"], facts["Service.DevicePolicy"]);
        Assert.Equal(["/etc/pve/nodes"], facts["Service.ReadWritePaths"]);
        Assert.Equal(["strict"], facts["Service.ProtectSystem"]);
    }

    [Fact]
    public void The_timer_runs_hourly_catches_up_and_spreads_the_load()
    {
        var timer = Settings("proxclmc-guard-scan.timer");

        Assert.Equal(["hourly"], timer["Timer.OnCalendar"]);
        Assert.Equal(["true"], timer["Timer.Persistent"]);
        Assert.True(timer.ContainsKey("Timer.RandomizedDelaySec"));
        Assert.Equal(["timers.target"], timer["Install.WantedBy"]);
    }

    [Fact]
    public void The_daemon_notifies_reloads_on_sighup_and_restarts_on_failure()
    {
        var daemon = Settings("proxclmc-guard.service");

        Assert.Equal(["notify"], daemon["Service.Type"]);
        Assert.Equal(["/usr/bin/proxclmc-guard daemon"], daemon["Service.ExecStart"]);
        Assert.Equal(["/bin/kill -HUP $MAINPID"], daemon["Service.ExecReload"]);
        Assert.Equal(["on-failure"], daemon["Service.Restart"]);
        Assert.Equal(["-/var/lib/prometheus/node-exporter", "/etc/pve/nodes"], daemon["Service.ReadWritePaths"]);
        Assert.Equal(["/dev/kvm rw"], daemon["Service.DeviceAllow"]);
    }

    [Theory]
    [InlineData("proxclmc-guard.service")]
    [InlineData("proxclmc-guard-scan.service")]
    public void Both_services_keep_the_system_read_only_but_the_ssh_identity_readable(string unit)
    {
        var service = Settings(unit);

        Assert.Equal(["strict"], service["Service.ProtectSystem"]);
        Assert.Equal(["read-only"], service["Service.ProtectHome"]);
        Assert.Equal(["yes"], service["Service.PrivateTmp"]);
        Assert.Equal(["yes"], service["Service.NoNewPrivileges"]);
        Assert.Equal(["AF_UNIX AF_INET AF_INET6"], service["Service.RestrictAddressFamilies"]);
        Assert.Equal("-/var/lib/prometheus/node-exporter", service["Service.ReadWritePaths"][0]);
        // The scan also takes the cluster lock and records its scan under /etc/pve/priv (one scanner per cluster).
        if (unit == "proxclmc-guard-scan.service")
        {
            Assert.Equal(["-/var/lib/prometheus/node-exporter", "-/etc/pve/priv"], service["Service.ReadWritePaths"]);
        }
        Assert.False(service.ContainsKey("Service.ProcSubset"), "ProcSubset=pid would hide /proc/cpuinfo");
        Assert.Equal(["1G"], service["Service.MemoryMax"]);
    }
}
