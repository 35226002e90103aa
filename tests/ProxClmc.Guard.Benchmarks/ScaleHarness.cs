using System.Diagnostics;
using System.Globalization;
using System.Text;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;
using ProxClmc.Guard.Testing.Ssh;

namespace ProxClmc.Guard.Benchmarks;

/// <summary>What <c>scale</c> runs: the parameters by default, a small cluster with <c>--smoke</c>.</summary>
public sealed record ScaleOptions
{
    public int Nodes { get; init; } = 64;

    public int Vms { get; init; } = 10_000;

    public int LatencyMs { get; init; } = 2;

    public int SshNodes { get; init; } = 32;

    public int SshDelayMs { get; init; } = 200;

    /// <summary>[api] and [ssh] parallelism; null keeps the tool's defaults.</summary>
    public int? Parallelism { get; init; }

    public bool Smoke { get; init; }

    /// <summary>Run the CLI inside this process (peak RSS then includes the harness and the fake) instead of as a child.</summary>
    public bool InProcess { get; init; }

    /// <summary>The proxclmc-guard binary to run as a child; default: the Release build in the repository.</summary>
    public string? CliPath { get; init; }

    public static ScaleOptions Parse(IReadOnlyList<string> args)
    {
        var options = new ScaleOptions();
        if (args.Contains("--smoke"))
        {
            options = options with { Smoke = true, Nodes = 8, Vms = 1000, SshNodes = 4 };
        }

        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int NextInt() => int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new ArgumentException($"{args[i - 1]} needs a whole number, got '{args[i]}'");
            options = args[i] switch
            {
                "--smoke" => options,
                "--nodes" => options with { Nodes = Math.Max(1, NextInt()) },
                "--vms" => options with { Vms = NextInt() },
                "--latency-ms" => options with { LatencyMs = NextInt() },
                "--ssh-nodes" => options with { SshNodes = NextInt() },
                "--ssh-delay-ms" => options with { SshDelayMs = NextInt() },
                "--parallelism" => options with { Parallelism = Math.Max(1, NextInt()) },
                "--in-process" => options with { InProcess = true },
                "--cli" => options with { CliPath = Next() },
                _ => throw new ArgumentException($"unknown option '{args[i]}' (scale [--smoke] [--nodes N] [--vms N] [--latency-ms N] [--ssh-nodes N] [--ssh-delay-ms N] [--parallelism N] [--in-process] [--cli PATH])"),
            };
        }

        return options;
    }
}

/// <summary>One row of the figures table.</summary>
public sealed record ScaleFigure(string Case, TimeSpan Wall, long? PeakRssKiB, int? Requests, string Goal, bool? Met, string Detail = "")
{
    /// <summary>User + system CPU time of the CLI process (child runs only): wall time far above it means waiting, close to or above it means computing.</summary>
    public TimeSpan? Cpu { get; init; }
}

/// <summary>
/// The scale harness: generated clusters in the real formats, the real CLI against the fake Proxmox over HTTPS and
/// against real sshd nodes, timed end to end with the peak memory of the process that ran it.
/// </summary>
/// <remarks>
/// Peak RSS: by default the CLI runs as a child process under <c>/usr/bin/time -f %M</c> (the kernel's ru_maxrss of
/// that process alone, so the fake Proxmox serving it is not counted). With <c>--in-process</c> (or without the
/// binary or /usr/bin/time) it is this process's VmHWM, which includes the harness and the fake: an upper bound.
/// </remarks>
public static class ScaleHarness
{
    public const string TimeBinary = "/usr/bin/time";

    /// <summary>Runs every case and prints the table; 0 when every run gave an answer, 1 when one failed (never on time).</summary>
    public static async Task<int> RunAsync(ScaleOptions options, TextWriter output, CancellationToken cancellationToken = default)
    {
        var figures = new List<ScaleFigure>();
        var errors = new List<string>();
        var cli = options.InProcess ? null : options.CliPath ?? DefaultCliPath();
        if (cli is not null && (!File.Exists(cli) || !File.Exists(TimeBinary)))
        {
            output.WriteLine($"note: {cli} or {TimeBinary} not found; running the CLI in-process (peak RSS includes the harness and the fake)");
            cli = null;
        }

        output.WriteLine($"scale: {options.Nodes} nodes, {options.Vms} VMs, {options.LatencyMs} ms per API request, {options.SshNodes} SSH nodes at {options.SshDelayMs} ms"
            + (options.Parallelism is { } p ? $", parallelism {p}" : ", default parallelism")
            + (cli is null ? ", CLI in-process" : $", CLI {cli}"));

        figures.Add(EvaluateInProcess(options.Vms, options.Nodes));
        figures.Add(ParseCpuInfoInProcess(512));

        var work = Directory.CreateTempSubdirectory("proxclmc-scale-");
        try
        {
            var snapshot = Path.Combine(work.FullName, "snapshot");
            FakeSnapshotGenerator.Write(snapshot, options.Nodes, options.Vms, ScaleInputs.NodeCpuInfoPaths);
            await using (var pve = await FakeProxmox.StartAsync(
                new FakeProxmoxOptions { SnapshotDir = snapshot, Latency = TimeSpan.FromMilliseconds(options.LatencyMs) }, cancellationToken))
            {
                var apiConfig = Path.Combine(work.FullName, "api.toml");
                var parallelism = options.Parallelism is { } n ? $"parallelism = {n}\n" : "";
                await File.WriteAllTextAsync(apiConfig, $"""
                    [api]
                    url = "{pve.Url}"
                    token_id = "{FakeProxmox.TokenId}"
                    token_secret_file = "{pve.TokenFile}"
                    ca_file = "{pve.CaCertificatePath}"
                    {parallelism}
                    [facts]
                    source = "api"
                    cache_file = "{work.FullName}/facts-cache.json"
                    """, cancellationToken);

                var scanGoal = options.Smoke ? "(smoke: no goal)" : "< 3 s, < 200 MB";
                figures.Add(await RunCliAsync(pve, cli, $"scan via API ({options.Vms} VMs, {options.Nodes} nodes)", scanGoal,
                    (wall, rss) => options.Smoke ? null : wall < TimeSpan.FromSeconds(3) && rss is < 200 * 1024,
                    ["scan", "--config", apiConfig, "--format", "json"], errors, cancellationToken));
                figures.Add(await RunCliAsync(pve, cli, $"baseline via API ({options.Nodes} nodes)", "(no goal)", (_, _) => null,
                    ["baseline", "--config", apiConfig], errors, cancellationToken));

                // Where the scan's time and memory go: the same run printing the table instead of JSON, and the
                // same cluster read from the snapshot folder (no HTTP at all).
                figures.Add(await RunCliAsync(pve, cli, "  same scan via API, table output", "(breakdown)", (_, _) => null,
                    ["scan", "--config", apiConfig], errors, cancellationToken));
            }

            figures.Add(await RunCliAsync(null, cli, "  same scan --from the snapshot, json", "(breakdown)", (_, _) => null,
                ["scan", "--from", snapshot, "--format", "json"], errors, cancellationToken));

            if (options.SshNodes > 0)
            {
                figures.Add(await RunSshAsync(options, work.FullName, cli, errors, output, cancellationToken));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            errors.Add($"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }

        output.Write(FormatTable(figures));
        foreach (var error in errors)
        {
            output.WriteLine("error: " + error);
        }

        return errors.Count == 0 ? 0 : 1;
    }

    public static string DefaultCliPath() => RepoPaths.Combine("src", "ProxClmc.Guard", "bin", "Release", "net10.0", "proxclmc-guard");

    public static string FormatTable(IReadOnlyList<ScaleFigure> figures)
    {
        string[] header = ["case", "wall", "CPU", "peak RSS", "requests", "goal", "met?"];
        var rows = figures.Select(f => new[]
        {
            f.Case,
            f.Wall.TotalMilliseconds < 10 ? $"{f.Wall.TotalMilliseconds:0.00} ms" : $"{f.Wall.TotalMilliseconds:0} ms",
            f.Cpu is { } cpu ? $"{cpu.TotalMilliseconds:0} ms" : "-",
            f.PeakRssKiB is { } kib ? $"{kib / 1024.0:0.0} MB" : "-",
            f.Requests?.ToString(CultureInfo.InvariantCulture) ?? "-",
            f.Goal,
            f.Met switch { true => "yes", false => "NO", null => "-" },
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        var sb = new StringBuilder();
        void Line(string[] cells) => sb.AppendJoin("  ", cells.Select((c, i) => c.PadRight(widths[i]))).Append('\n');
        Line(header);
        Line(widths.Select(w => new string('-', w)).ToArray());
        rows.ForEach(Line);
        foreach (var f in figures.Where(f => f.Detail.Length > 0))
        {
            sb.Append("  ").Append(f.Case).Append(": ").Append(f.Detail).Append('\n');
        }

        return sb.ToString().Replace("\n", Environment.NewLine, StringComparison.Ordinal);
    }

    private static ScaleFigure EvaluateInProcess(int vms, int nodes)
    {
        var facts = ScaleInputs.NodeFactsOf(nodes);
        var guests = ScaleInputs.GuestsOf(vms, nodes);
        var custom = ScaleInputs.LabCustomModels();
        var baseline = ScaleInputs.BaselineOf(facts);
        ComplianceReport? report = null;
        var best = Measure(7, () =>
        {
            report = new ComplianceEvaluator(baseline, CpuCatalog.Default, new GuardPolicy(), custom).EvaluateAll(guests, DateTimeOffset.UnixEpoch);
        });
        return new ScaleFigure($"evaluate {vms} guests x {nodes} nodes (in-process)", best, null, null, "< 100 ms", vms >= 10_000 ? best < TimeSpan.FromMilliseconds(100) : null,
            $"median of 7 after a warm-up; {report!.Verdicts.Count(v => v.Verdict.IsUnsafe())} unsafe");
    }

    private static ScaleFigure ParseCpuInfoInProcess(int threads)
    {
        var text = ScaleInputs.CpuInfoOfHost(threads);
        var median = Measure(21, () => CpuInfoParser.Parse(text).GetValueOrThrow());
        return new ScaleFigure($"parse /proc/cpuinfo, {threads} threads (in-process)", median, null, null, "< 5 ms", median < TimeSpan.FromMilliseconds(5),
            $"{text.Length / 1024} KiB, median of 21 after a warm-up");
    }

    private static TimeSpan Measure(int runs, Action action)
    {
        action();
        var times = new List<TimeSpan>(runs);
        for (var i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times.Add(sw.Elapsed);
        }

        times.Sort();
        return times[runs / 2];
    }

    private static async Task<ScaleFigure> RunCliAsync(FakeProxmox? pve, string? cli, string name, string goal, Func<TimeSpan, long?, bool?> met,
        string[] args, List<string> errors, CancellationToken cancellationToken)
    {
        pve?.ClearRequestLog();
        var run = await RunCliAsync(cli, args, cancellationToken);
        var requests = pve?.Requests.Count;
        if (run.Exit is not (0 or 1 or 2))
        {
            errors.Add($"{name}: exit {run.Exit}: {FirstLine(run.Error)}");
        }

        return new ScaleFigure(name, run.Wall, run.PeakRssKiB, requests, goal, run.Exit is 0 or 1 or 2 ? met(run.Wall, run.PeakRssKiB) : false,
            $"exit {run.Exit}" + (run.Exit == 0 ? "" : $" ({FirstLine(run.Error)})") + $", {run.Out.Length / 1024} KiB of output" + (cli is null ? ", RSS = harness VmHWM" : ""))
        { Cpu = run.Cpu };
    }

    private static async Task<ScaleFigure> RunSshAsync(ScaleOptions options, string work, string? cli, List<string> errors, TextWriter output, CancellationToken cancellationToken)
    {
        var name = $"baseline via SSH ({options.SshNodes} nodes at {options.SshDelayMs} ms)";
        var goal = options.Smoke ? "(smoke: no goal)" : "< 1.5 s";
        if (!File.Exists(SshFixture.Sshd) || Environment.UserName != "root")
        {
            output.WriteLine($"note: {name} skipped: needs root and {SshFixture.Sshd}");
            return new ScaleFigure(name, TimeSpan.Zero, null, null, goal, null, "skipped: needs root and openssh-server");
        }

        var cpuinfos = ScaleInputs.NodeCpuInfoPaths;
        var specs = Enumerable.Range(1, options.SshNodes)
            .Select(n => new FakeSshNodeSpec($"pve{n:00}", cpuinfos[(n - 1) % cpuinfos.Count]) { DelaySeconds = options.SshDelayMs / 1000.0, RsaHostKey = false })
            .ToList();
        await using var ssh = await SshFixture.StartAsync(specs, cancellationToken);
        var corosync = Path.Combine(work, "ssh-corosync.conf");
        await File.WriteAllTextAsync(corosync, ssh.CorosyncConf(), cancellationToken);
        var config = Path.Combine(work, "ssh.toml");
        var parallelism = options.Parallelism is { } n ? $"parallelism = {n}\n" : "";
        await File.WriteAllTextAsync(config, $"""
            [cluster]
            corosync_conf = "{corosync}"
            pve_root = "{work}/no-pve"

            [facts]
            source = "ssh"
            cache_file = "{work}/ssh-facts-cache.json"

            [ssh]
            user = "root"
            port = {ssh.Port}
            identity_file = "{ssh.ClientKeyEd25519}"
            known_hosts = ["{ssh.KnownHostsPlain}"]
            {parallelism}
            """, cancellationToken);
        return await RunCliAsync(null, cli, name, goal, (wall, _) => options.Smoke ? null : wall < TimeSpan.FromSeconds(1.5),
            ["baseline", "--config", config], errors, cancellationToken) with { Requests = options.SshNodes };
    }

    private sealed record CliRun(int Exit, TimeSpan Wall, long? PeakRssKiB, string Out, string Error)
    {
        public TimeSpan? Cpu { get; init; }
    }

    private static async Task<CliRun> RunCliAsync(string? cli, string[] args, CancellationToken cancellationToken)
    {
        if (cli is null)
        {
            var output = new StringWriter();
            var error = new StringWriter();
            var sw = Stopwatch.StartNew();
            var exit = await new GuardCli(new CliEnvironment { Out = output, Error = error }).InvokeAsync(args);
            var wall = sw.Elapsed;
            return new CliRun(exit, wall, ReadOwnPeakRss(), output.ToString(), error.ToString());
        }

        var rssFile = Path.GetTempFileName();
        try
        {
            var start = new ProcessStartInfo(TimeBinary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in (string[])["-f", "%M %U %S", "-o", rssFile, cli, .. args])
            {
                start.ArgumentList.Add(a);
            }

            var sw = Stopwatch.StartNew();
            using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + cli);
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            var wall = sw.Elapsed;
            // /usr/bin/time's last line: "<max RSS KiB> <user s> <system s>".
            var fields = (await File.ReadAllTextAsync(rssFile, cancellationToken)).Trim().Split('\n')[^1].Split(' ');
            long? rss = long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var kib) ? kib : null;
            TimeSpan? cpu = fields.Length == 3
                && double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var user)
                && double.TryParse(fields[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var system)
                ? TimeSpan.FromSeconds(user + system)
                : null;
            return new CliRun(process.ExitCode, wall, rss, await stdout, await stderr) { Cpu = cpu };
        }
        finally
        {
            File.Delete(rssFile);
        }
    }

    /// <summary>VmHWM of this process in KiB (Linux), or null.</summary>
    public static long? ReadOwnPeakRss()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            var digits = line?["VmHWM:".Length..].Trim().Split(' ')[0];
            return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var kib) ? kib : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "(no message)";
        return line.Length <= 200 ? line : line[..200] + "...";
    }
}
