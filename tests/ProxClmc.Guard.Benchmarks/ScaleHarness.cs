using System.Diagnostics;
using System.Globalization;
using System.Text;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;
using ProxClmc.Guard.Testing.Ssh;

namespace ProxClmc.Guard.Benchmarks;

/// <summary>
/// The scale harness: generated clusters in the real formats, the real CLI against the fake Proxmox over HTTPS (in its
/// own process) and against real sshd nodes, timed end to end with the CPU time and peak memory of each process, each
/// figure printed next to its goal and the reference it is measured against in the same run.
/// </summary>
/// <remarks>
/// Child processes run under a small python3 runner that waits for them with wait4(2): wall time, user + system CPU
/// (of the child and everything it waited for) and ru_maxrss of that child alone. The fake Proxmox's CPU comes from
/// /proc/&lt;pid&gt;/stat before and after each run. With <c>--in-process</c> the CLI and the fake run inside this
/// process: no CPU figures, and RSS is this process's VmHWM (an upper bound).
/// </remarks>
public static class ScaleHarness
{
    private const string Python = "/usr/bin/python3";

    // Runs argv[3:] argv[2] times; writes one JSON list [wall s, user s, system s, maxrss KiB, exit] per run to argv[1].
    private const string RunnerScript = """
        import json, os, sys, time
        out, runs, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
        rows = []
        for _ in range(runs):
            t = time.monotonic()
            pid = os.posix_spawnp(cmd[0], cmd, os.environ)
            _, status, ru = os.wait4(pid, 0)
            rows.append([time.monotonic() - t, ru.ru_utime, ru.ru_stime, ru.ru_maxrss, os.waitstatus_to_exitcode(status)])
        with open(out, "w") as f:
            json.dump(rows, f)
        """;

    /// <summary>Runs every case and prints the figures; 0 when every run gave an answer, 1 when one failed (never on time).</summary>
    public static async Task<int> RunAsync(ScaleOptions options, TextWriter output, CancellationToken cancellationToken = default)
    {
        var figures = new List<ScaleFigure>();
        var errors = new List<string>();
        var notes = new List<string>();
        var cli = options.InProcess ? null : options.CliPath ?? DefaultCliPath();
        if (cli is not null && (!File.Exists(cli) || !File.Exists(Python)))
        {
            notes.Add($"{cli} or {Python} not found; running the CLI in-process (no CPU figures; peak RSS includes the harness and the fake)");
            cli = null;
        }

        var aot = options.AotPath ?? (File.Exists(DefaultAotPath()) ? DefaultAotPath() : null);
        if (aot is not null && !File.Exists(aot))
        {
            notes.Add($"{aot} not found (tools/publish-aot.sh builds it); the NativeAOT rows use the JIT build");
            aot = null;
        }

        var native = cli is null ? null : aot ?? cli;
        var header = $"scale: {options.Nodes} nodes, {options.Vms} VMs, {options.LatencyMs} ms per API request, {options.SshNodes} SSH nodes at {options.SshDelayMs} ms"
            + (options.Parallelism is { } p ? $", [api] parallelism {p}" : ", default [api] parallelism")
            + (options.SshParallelism is { } sp ? $", [ssh] parallelism {sp}" : ", default [ssh] parallelism")
            + (cli is null ? ", CLI in-process" : $", CLI {cli}") + (native is not null && native != cli ? $", NativeAOT {native}" : "")
            + $"; load average {LoadAverage()} on {Environment.ProcessorCount} cores";

        var work = Directory.CreateTempSubdirectory("proxclmc-scale-");
        try
        {
            if (options.Cases.Contains("in-process"))
            {
                figures.Add(EvaluateInProcess(options.Vms, options.Nodes));
                figures.Add(ParseCpuInfoInProcess(512));
            }

            var snapshot = Path.Combine(work.FullName, "snapshot");
            if (options.Cases.Contains("api") || options.Cases.Contains("table"))
            {
                FakeSnapshotGenerator.Write(snapshot, options.Nodes, options.Vms, ScaleInputs.NodeCpuInfoPaths);
            }

            if (options.Cases.Contains("api"))
            {
                await RunApiCasesAsync(options, work.FullName, snapshot, cli, figures, errors, notes, cancellationToken);
            }

            if (options.Cases.Contains("table"))
            {
                await RunTableCaseAsync(options, snapshot, cli, figures, errors, cancellationToken);
            }

            if (options.SshNodes > 0 && options.Cases.Contains("ssh"))
            {
                await RunSshCasesAsync(options, work.FullName, native, figures, errors, notes, cancellationToken);
            }

            if (options.Cases.Contains("hook"))
            {
                await RunHookCaseAsync(options, work.FullName, native, figures, errors, notes, cancellationToken);
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

        if (options.Format == "json")
        {
            output.Write(FormatJson(header, figures, notes, errors));
        }
        else
        {
            output.WriteLine(header);
            notes.ForEach(n => output.WriteLine("note: " + n));
            output.Write(FormatTable(figures));
            foreach (var error in errors)
            {
                output.WriteLine("error: " + error);
            }
        }

        return errors.Count == 0 ? 0 : 1;
    }

    public static string DefaultCliPath() => RepoPaths.Combine("src", "ProxClmc.Guard", "bin", "Release", "net10.0", "proxclmc-guard");

    public static string DefaultAotPath() => RepoPaths.Combine("artifacts", "aot", "proxclmc-guard");

    /// <summary>The fake Proxmox's own build (its Program serves a snapshot folder); null when it has not been built.</summary>
    public static string? FakePveDll()
    {
        foreach (var configuration in (string[])["Release", "Debug"])
        {
            var dll = RepoPaths.Combine("tests", "ProxClmc.Guard.FakePve", "bin", configuration, "net10.0", "ProxClmc.Guard.FakePve.dll");
            if (File.Exists(dll))
            {
                return dll;
            }
        }

        return null;
    }

    /// <summary>The goals table (case, figure, goal, met, reference), then the measurements of every run.</summary>
    public static string FormatTable(IReadOnlyList<ScaleFigure> figures)
    {
        var sb = new StringBuilder();
        var goals = figures.Where(f => f.Figure is not null).Select(f => new[]
        {
            f.Case, FormatValue(f.Figure!), f.Goal, f.Met switch { true => "yes", false => "NO", null => "-" }, f.Reference,
        }).ToList();
        AppendTable(sb, ["case", "figure", "goal", "met?", "reference (same run)"], goals);
        sb.Append('\n');
        var rows = figures.Select(f => new[]
        {
            f.Case,
            f.Wall == TimeSpan.Zero ? "-" : f.Wall.TotalMilliseconds < 10 ? $"{f.Wall.TotalMilliseconds:0.00} ms" : $"{f.Wall.TotalMilliseconds:0} ms",
            f.Cpu is { } cpu ? $"{cpu.TotalMilliseconds:0.0} ms" : "-",
            f.ServerCpu is { } server ? $"{server.TotalMilliseconds:0} ms" : "-",
            f.PeakRssKiB is { } kib ? $"{kib / 1024.0:0.0} MB" : "-",
            f.Requests?.ToString(CultureInfo.InvariantCulture) ?? "-",
        }).ToList();
        AppendTable(sb, ["case", "wall", "CPU", "server CPU", "peak RSS", "requests"], rows);
        foreach (var f in figures.Where(f => f.Detail.Length > 0))
        {
            sb.Append("  ").Append(f.Case).Append(": ").Append(f.Detail).Append('\n');
        }

        return sb.ToString().Replace("\n", Environment.NewLine, StringComparison.Ordinal);
    }

    /// <summary>One JSON object per case: name, figure, unit, goal, met, reference, and every value measured.</summary>
    public static string FormatJson(string header, IReadOnlyList<ScaleFigure> figures, IReadOnlyList<string> notes, IReadOnlyList<string> errors)
    {
        using var stream = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(stream, new System.Text.Json.JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("run", header);
            json.WriteStartArray("cases");
            foreach (var f in figures)
            {
                json.WriteStartObject();
                json.WriteString("name", f.Case);
                if (f.Figure is { } figure)
                {
                    json.WriteNumber("figure", Math.Round(figure.Value, 3));
                    json.WriteString("unit", figure.Unit);
                }
                else
                {
                    json.WriteNull("figure");
                    json.WriteNull("unit");
                }

                json.WriteString("goal", f.Goal);
                if (f.Met is { } met)
                {
                    json.WriteBoolean("met", met);
                }
                else
                {
                    json.WriteNull("met");
                }

                json.WriteString("reference", f.Reference);
                json.WriteStartObject("figures");
                foreach (var v in AllValues(f))
                {
                    json.WriteNumber(v.Name + "_" + v.Unit.Replace("/", "_per_", StringComparison.Ordinal).Replace("µ", "u", StringComparison.Ordinal), Math.Round(v.Value, 3));
                }

                json.WriteEndObject();
                json.WriteString("detail", f.Detail);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("notes");
            notes.ToList().ForEach(json.WriteStringValue);
            json.WriteEndArray();
            json.WriteStartArray("errors");
            errors.ToList().ForEach(json.WriteStringValue);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + Environment.NewLine;
    }

    private static IEnumerable<ScaleValue> AllValues(ScaleFigure f)
    {
        if (f.Wall > TimeSpan.Zero)
        {
            yield return new("wall", f.Wall.TotalMilliseconds, "ms");
        }

        if (f.Cpu is { } cpu)
        {
            yield return new("cpu", cpu.TotalMilliseconds, "ms");
        }

        if (f.ServerCpu is { } server)
        {
            yield return new("server_cpu", server.TotalMilliseconds, "ms");
        }

        if (f.PeakRssKiB is { } rss)
        {
            yield return new("peak_rss", rss / 1024.0, "MB");
        }

        if (f.Requests is { } requests)
        {
            yield return new("requests", requests, "count");
        }

        foreach (var v in f.Values)
        {
            yield return v;
        }
    }

    private static string FormatValue(ScaleValue v) => v.Unit switch
    {
        "x" => $"{v.Value:0.00}x",
        "ms" when v.Value < 10 => $"{v.Value:0.00} ms",
        "ms" => $"{v.Value:0} ms",
        _ => $"{v.Value:0.#} {v.Unit}",
    } + (v.Name.Length > 0 ? " " + v.Name : "");

    private static void AppendTable(StringBuilder sb, string[] header, List<string[]> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        void Line(string[] cells) => sb.AppendJoin("  ", cells.Select((c, i) => c.PadRight(widths[i]))).Append('\n');
        Line(header);
        Line(widths.Select(w => new string('-', w)).ToArray());
        rows.ForEach(Line);
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    // ---------------------------------------------------------------- in-process cases

    private static ScaleFigure EvaluateInProcess(int vms, int nodes)
    {
        var facts = ScaleInputs.NodeFactsOf(nodes);
        var guests = ScaleInputs.GuestsOf(vms, nodes);
        var custom = ScaleInputs.LabCustomModels();
        var baseline = ScaleInputs.BaselineOf(facts);
        var evaluator = new ComplianceEvaluator(baseline, CpuCatalog.Default, new GuardPolicy(), custom);
        ComplianceReport? report = null;
        var (coldWall, cold, coldBytes) = Measure(7, () =>
        {
            report = new ComplianceEvaluator(baseline, CpuCatalog.Default, new GuardPolicy(), custom).EvaluateAll(guests, DateTimeOffset.UnixEpoch);
        });
        var (_, warm, warmBytes) = Measure(7, () => evaluator.EvaluateAll(guests, DateTimeOffset.UnixEpoch));
        return new ScaleFigure($"evaluate {vms} guests x {nodes} nodes (in-process)", coldWall, null, null, "<= 50 ms", vms >= 10_000 ? cold <= TimeSpan.FromMilliseconds(50) : null,
            $"median of 7 after a warm-up, a new evaluator each time (as a CLI run); {report!.Verdicts.Count(v => v.Verdict.IsUnsafe())} unsafe")
        {
            Cpu = cold,
            Figure = new("CPU", cold.TotalMilliseconds, "ms"),
            Reference = $"wall {coldWall.TotalMilliseconds:0} ms; reused evaluator (warm caches) {warm.TotalMilliseconds:0} ms CPU; allocated {coldBytes / 1e6:0.0} MB cold, {warmBytes / 1e6:0.0} MB warm",
            Values = [new("warm", warm.TotalMilliseconds, "ms"), new("allocated_cold", coldBytes / 1e6, "MB"), new("allocated_warm", warmBytes / 1e6, "MB")],
        };
    }

    private static (TimeSpan Wall, TimeSpan Cpu, long Bytes, long Chars) RenderTableInProcess(int vms, int nodes)
    {
        var facts = ScaleInputs.NodeFactsOf(nodes);
        var report = new ComplianceEvaluator(ScaleInputs.BaselineOf(facts), CpuCatalog.Default, new GuardPolicy(), ScaleInputs.LabCustomModels())
            .EvaluateAll(ScaleInputs.GuestsOf(vms, nodes), DateTimeOffset.UnixEpoch);
        long chars = 0;
        var (wall, cpu, bytes) = Measure(7, () =>
        {
            var writer = new CountingWriter();
            new ProxClmc.Guard.Rendering.TableRenderer(writer, 120).WriteGuests(report);
            chars = writer.Chars;
        });
        return (wall, cpu, bytes, chars);
    }

    private static ScaleFigure ParseCpuInfoInProcess(int threads)
    {
        var text = ScaleInputs.CpuInfoOfHost(threads);
        var (median, _, bytes) = Measure(21, () => CpuInfoParser.Parse(text).GetValueOrThrow());
        return new ScaleFigure($"parse /proc/cpuinfo, {threads} threads (in-process)", median, null, null, "< 5 ms", median < TimeSpan.FromMilliseconds(5),
            $"{text.Length / 1024} KiB, median of 21 after a warm-up")
        {
            Values = [new("allocated", bytes / 1e6, "MB")],
        };
    }

    /// <summary>
    /// Median wall time and CPU time (of this whole process: on a loaded machine CPU time is the figure that waiting
    /// does not inflate) of <paramref name="runs"/> runs after a warm-up, and the bytes one run allocates (median).
    /// </summary>
    private static (TimeSpan Median, TimeSpan Cpu, long Bytes) Measure(int runs, Action action)
    {
        action();
        var times = new List<TimeSpan>(runs);
        var cpus = new List<TimeSpan>(runs);
        var allocations = new List<long>(runs);
        using var self = Process.GetCurrentProcess();
        for (var i = 0; i < runs; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            self.Refresh();
            var cpuBefore = self.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            action();
            times.Add(sw.Elapsed);
            self.Refresh();
            cpus.Add(self.TotalProcessorTime - cpuBefore);
            allocations.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        times.Sort();
        cpus.Sort();
        allocations.Sort();
        return (times[runs / 2], cpus[runs / 2], allocations[runs / 2]);
    }

    /// <summary>Counts what is written and keeps nothing: the table's cost without a buffer of its text.</summary>
    private sealed class CountingWriter : TextWriter
    {
        public long Chars { get; private set; }

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Chars++;

        public override void Write(string? value) => Chars += value?.Length ?? 0;

        public override void Write(char[] buffer, int index, int count) => Chars += count;

        public override void Write(ReadOnlySpan<char> buffer) => Chars += buffer.Length;
    }

    // ---------------------------------------------------------------- API cases

    private static async Task RunApiCasesAsync(ScaleOptions options, string work, string snapshot, string? cli, List<ScaleFigure> figures,
        List<string> errors, List<string> notes, CancellationToken cancellationToken)
    {
        await using var pve = await ApiServer.StartAsync(snapshot, options.LatencyMs, options.InProcess || cli is null, cancellationToken);
        if (pve.Note is { } note)
        {
            notes.Add(note);
        }

        var apiConfig = Path.Combine(work, "api.toml");
        var parallelism = options.Parallelism ?? 8;
        await File.WriteAllTextAsync(apiConfig, $"""
            [api]
            url = "{pve.Url}"
            token_id = "{FakeProxmox.TokenId}"
            token_secret_file = "{pve.TokenFile}"
            ca_file = "{pve.CaFile}"
            parallelism = {parallelism}

            [facts]
            source = "api"
            cache_file = "{work}/facts-cache.json"
            """, cancellationToken);

        var scan = await RunCliAsync(pve, cli, $"scan via API ({options.Vms} VMs, {options.Nodes} nodes)", ["scan", "--config", apiConfig, "--format", "json"], errors, cancellationToken);
        var floor = scan.Requests is { } r ? TimeSpan.FromMilliseconds((double)r * options.LatencyMs / parallelism) : (TimeSpan?)null;
        var serverBound = scan.ServerCpu is { } sc && scan.Cpu is { } cc && sc + cc > 0.8 * scan.Wall * Environment.ProcessorCount;
        figures.Add(scan with
        {
            Goal = options.Smoke ? "(smoke: no goal)" : "<= 3 s, <= 200 MB",
            Met = options.Smoke || scan.Met == false ? scan.Met : scan.Wall <= TimeSpan.FromSeconds(3) && scan.PeakRssKiB is <= 200 * 1024,
            Figure = new($"at parallelism {parallelism}", scan.Wall.TotalMilliseconds, "ms"),
            Reference = (floor is { } f ? $"latency floor {f.TotalMilliseconds:0} ms ({scan.Requests} requests x {options.LatencyMs} ms / {parallelism}); " : "")
                + (scan.ServerCpu is { } serverCpu ? $"fake Proxmox CPU {serverCpu.TotalMilliseconds:0} ms" : "fake Proxmox in-process")
                + (scan.PeakRssKiB is { } kib ? $"; peak RSS {kib / 1024.0:0} MB" : "")
                + (serverBound ? "; both processes together used the machine's cores: CPU-bound, not latency-bound" : ""),
            Values = floor is { } fl ? [new("latency_floor", fl.TotalMilliseconds, "ms")] : [],
        });
        if (scan is { Cpu: { } clientCpu, Requests: > 0 and var requests })
        {
            var perRequest = clientCpu.TotalMicroseconds / requests;
            var serverPer = scan.ServerCpu is { } server ? server.TotalMicroseconds / requests : (double?)null;
            figures.Add(new ScaleFigure($"API scan, client CPU per request ({options.Vms} VMs, {options.Nodes} nodes)", TimeSpan.Zero, null, requests,
                options.Smoke ? "(smoke: no goal)" : "<= 150 µs", options.Smoke ? null : perRequest <= 150,
                "the scan's whole CPU time (start-up, parsing, judging and output included) divided by its requests")
            {
                Figure = new("", perRequest, "µs/request"),
                Reference = serverPer is { } sp ? $"fake Proxmox (ASP.NET Core, TLS) {sp:0} µs/request" : "",
                Values = serverPer is { } spv ? [new("client_cpu_per_request", perRequest, "µs"), new("server_cpu_per_request", spv, "µs")] : [new("client_cpu_per_request", perRequest, "µs")],
            });
        }

        figures.Add(await RunCliAsync(pve, cli, $"baseline via API ({options.Nodes} nodes)", ["baseline", "--config", apiConfig], errors, cancellationToken));
        figures.Add(await RunCliAsync(pve, cli, "  same scan via API, table output", ["scan", "--config", apiConfig], errors, cancellationToken) with { Goal = "(breakdown)" });
    }

    private static async Task RunTableCaseAsync(ScaleOptions options, string snapshot, string? cli, List<ScaleFigure> figures, List<string> errors, CancellationToken cancellationToken)
    {
        // The table itself (TableRenderer.WriteGuests in this process, into a writer that keeps nothing), and for
        // reference the CLI reading the same cluster from the snapshot folder (no HTTP) printing the table, then JSON.
        var render = RenderTableInProcess(options.Vms, options.Nodes);
        var table = await RunCliAsync(null, cli, "  scan --from the snapshot, table", ["scan", "--from", snapshot], errors, cancellationToken) with { Goal = "(breakdown)" };
        var json = await RunCliAsync(null, cli, "  scan --from the snapshot, json", ["scan", "--from", snapshot, "--format", "json"], errors, cancellationToken) with { Goal = "(breakdown)" };
        figures.Add(new ScaleFigure($"table output, {options.Vms} guests", render.Wall, null, null, options.Smoke ? "(smoke: no goal)" : "<= 0.3 s",
            options.Smoke ? null : render.Cpu <= TimeSpan.FromSeconds(0.3),
            $"TableRenderer.WriteGuests in-process, median of 7 CPU times; {render.Chars / 1024} KiB of text; allocated {render.Bytes / 1e6:0.0} MB")
        {
            Cpu = render.Cpu,
            Figure = new("CPU", render.Cpu.TotalMilliseconds, "ms"),
            Reference = $"wall {render.Wall.TotalMilliseconds:0} ms, allocated {render.Bytes / 1e6:0.0} MB; whole `scan --from` run: table {Ms(table.Cpu ?? table.Wall)} CPU, JSON {Ms(json.Cpu ?? json.Wall)} CPU",
            Values = [new("allocated", render.Bytes / 1e6, "MB"), new("text", render.Chars / 1024.0, "KiB"),
                new("scan_from_table_cpu", (table.Cpu ?? TimeSpan.Zero).TotalMilliseconds, "ms"), new("scan_from_json_cpu", (json.Cpu ?? TimeSpan.Zero).TotalMilliseconds, "ms")],
        });
        figures.Add(table);
        figures.Add(json);
    }

    /// <summary>The fake Proxmox: its own process (the FakePve program) when built, else inside the harness.</summary>
    private sealed class ApiServer : IAsyncDisposable
    {
        private FakeProxmox? _inProcess;
        private Process? _process;

        public string Url { get; private set; } = "";

        public string TokenFile { get; private set; } = "";

        public string CaFile { get; private set; } = "";

        public string? Note { get; private set; }

        public static async Task<ApiServer> StartAsync(string snapshot, int latencyMs, bool inProcess, CancellationToken cancellationToken)
        {
            var server = new ApiServer();
            var dll = inProcess ? null : FakePveDll();
            if (dll is null)
            {
                if (!inProcess)
                {
                    server.Note = "the fake Proxmox is not built (tests/ProxClmc.Guard.FakePve); it runs inside the harness, so its CPU is not reported";
                }

                var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = snapshot, Latency = TimeSpan.FromMilliseconds(latencyMs) }, cancellationToken);
                server._inProcess = pve;
                (server.Url, server.TokenFile, server.CaFile) = (pve.Url, pve.TokenFile, pve.CaCertificatePath);
                return server;
            }

            var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in (string[])[dll, "--snapshot", snapshot, "--port", "0", "--latency-ms", latencyMs.ToString(CultureInfo.InvariantCulture)])
            {
                start.ArgumentList.Add(a);
            }

            server._process = Process.Start(start) ?? throw new InvalidOperationException("could not start the fake Proxmox");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(120));
            // It prints its [api] settings (alternatives as "# or, ..." comments), then "# serving ...": every line up
            // to that one is read here, so that the request counts read later are the answers to their own questions.
            while (await server._process.StandardOutput.ReadLineAsync(timeout.Token) is { } line && !line.StartsWith("# serving ", StringComparison.Ordinal))
            {
                var eq = line.IndexOf(" = ", StringComparison.Ordinal);
                if (eq > 0)
                {
                    var value = line[(eq + 3)..].Trim('"');
                    switch (line[..eq])
                    {
                        case "url": server.Url = value; break;
                        case "token_secret_file": server.TokenFile = value; break;
                        case "ca_file": server.CaFile = value; break;
                    }
                }
            }

            if (server.Url.Length == 0)
            {
                var error = await server._process.StandardError.ReadToEndAsync(cancellationToken);
                throw new InvalidOperationException("the fake Proxmox did not start: " + FirstLine(error));
            }

            return server;
        }

        /// <summary>CPU time (user + system) of the server process so far; null when it runs in-process.</summary>
        public TimeSpan? Cpu() => _process is null ? null : ProcessCpu(_process.Id);

        /// <summary>Requests answered since the last call (and forgets them).</summary>
        public async Task<int> TakeRequestsAsync(CancellationToken cancellationToken)
        {
            if (_inProcess is { } pve)
            {
                var n = pve.Requests.Count;
                pve.ClearRequestLog();
                return n;
            }

            await _process!.StandardInput.WriteLineAsync("requests".AsMemory(), cancellationToken);
            await _process.StandardInput.FlushAsync(cancellationToken);
            var line = await _process.StandardOutput.ReadLineAsync(cancellationToken) ?? "";
            return int.TryParse(line.Replace("requests = ", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : -1;
        }

        public async ValueTask DisposeAsync()
        {
            if (_inProcess is not null)
            {
                await _inProcess.DisposeAsync();
            }

            if (_process is { } process)
            {
                // SIGTERM: the fake disposes its server and removes its temp files.
                using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
                {
                    kill.WaitForExit();
                }

                if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
                {
                    process.Kill(entireProcessTree: true);
                }

                process.Dispose();
            }
        }
    }

    /// <summary>utime + stime of a live process from /proc/&lt;pid&gt;/stat (clock ticks of 10 ms).</summary>
    public static TimeSpan? ProcessCpu(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static async Task<ScaleFigure> RunCliAsync(ApiServer? pve, string? cli, string name, string[] args, List<string> errors, CancellationToken cancellationToken)
    {
        if (pve is not null)
        {
            await pve.TakeRequestsAsync(cancellationToken);
        }

        var serverBefore = pve?.Cpu();
        var run = await RunCliRepeatedAsync(cli, args, 1, cancellationToken);
        var serverAfter = pve?.Cpu();
        int? requests = pve is null ? null : await pve.TakeRequestsAsync(cancellationToken);
        if (run.Exit is not (0 or 1 or 2))
        {
            errors.Add($"{name}: exit {run.Exit}: {FirstLine(run.Error)}");
        }

        return new ScaleFigure(name, run.Wall, run.PeakRssKiB, requests, "(no goal)", run.Exit is 0 or 1 or 2 ? null : false,
            $"exit {run.Exit}" + (run.Exit == 0 ? "" : $" ({FirstLine(run.Error)})") + $", {run.Out.Length / 1024} KiB of output" + (cli is null ? ", RSS = harness VmHWM" : ""))
        {
            Cpu = run.Cpu,
            ServerCpu = serverAfter - serverBefore,
        };
    }

    // ---------------------------------------------------------------- SSH cases

    /// <summary>
    /// The SSH rows: one node, many nodes answering at once, many nodes answering after a delay, a silent node and a
    /// refused port. With <c>--proxclmc</c> every case runs ours and ProxCLMC interleaved, run by run, against the same
    /// sshd nodes, which then listen on port 22 (ProxCLMC has no port option); each case prints the load average it
    /// started at, and minimum and median of wall and CPU time of both.
    /// </summary>
    private static async Task RunSshCasesAsync(ScaleOptions options, string work, string? native, List<ScaleFigure> figures, List<string> errors, List<string> notes,
        CancellationToken cancellationToken)
    {
        if (!File.Exists(SshFixture.Sshd) || Environment.UserName != "root")
        {
            notes.Add($"the SSH rows are skipped: they need root and {SshFixture.Sshd}");
            return;
        }

        var proxclmc = options.ProxClmcPath;
        if (proxclmc is not null && !File.Exists(proxclmc))
        {
            errors.Add($"--proxclmc {proxclmc}: no such file");
            proxclmc = null;
        }

        if (native is null)
        {
            proxclmc = null;
        }

        var runs = options.Runs;
        var parallelism = options.SshParallelism ?? new ProxClmc.Guard.Application.Configuration.SshSettings().Parallelism;
        var binary = native is null ? "in-process" : Path.GetFileName(Path.GetDirectoryName(native)) == "aot" ? "NativeAOT" : "JIT";
        var port = proxclmc is null ? 0 : 22;
        var setting = options.SshParallelism is { } sp ? $"[ssh] parallelism {sp}" : $"[ssh] parallelism default ({parallelism})";
        var how = proxclmc is null ? $"median of {runs}" : $"ours and ProxCLMC interleaved run by run, {runs} runs each";
        var goalsApply = !options.Smoke;
        // --kill-after bounds the silent node's case (ProxCLMC waits there forever); the others only against a hang.
        var patience = options.KillAfter > TimeSpan.FromMinutes(10) ? options.KillAfter : TimeSpan.FromMinutes(10);

        // One node answering at once: what a single-node run waits on, against OpenSSH's client and ProxCLMC.
        var handshake = TimeSpan.Zero;
        var load = LoadAverageValues();
        var one = await SshNodesAsync(work, "one", 1, 0, options.SshParallelism, port, null, cancellationToken);
        await using (one.Fixture)
        {
            var (ours, theirs) = await CompareAsync(native, ["baseline", "--config", one.Config], proxclmc, one.Fixture, work, runs, patience, cancellationToken);
            var ssh = await RunChildAsync([.. OpenSshCommand(one.Fixture, one.Fixture.Nodes[0].Address)], runs, null, cancellationToken);
            CheckExit("baseline via SSH (1 node)", ours, errors);
            CheckExit("ssh (1 node)", ssh, errors);
            CheckProxClmc("ProxCLMC (1 node)", theirs, errors);
            var instructions = options.Instructions && native is not null && File.Exists("/usr/bin/valgrind")
                ? await CallgrindInstructionsAsync(options.ProfileDir ?? work, "ssh-baseline-1-node", [native, "baseline", "--config", one.Config], null, cancellationToken)
                : 0;
            handshake = ssh.Wall;
            var (ratio, cpuRatio) = Ratios(ours, theirs);
            figures.Add(new ScaleFigure($"baseline via SSH (1 node, {binary})", ours.Wall, ours.PeakRssKiB, 1,
                goalsApply ? ">= 1.2x faster than ProxCLMC, CPU <= 1.5x ProxCLMC's" : "(smoke: no goal)",
                !goalsApply || ratio is null || cpuRatio is null ? null : ratio >= 1.2 && cpuRatio <= 1.5,
                $"{how}; {LoadText(load)}")
            {
                Cpu = ours.Cpu,
                Figure = ratio is { } x ? new("faster than ProxCLMC", x, "x") : new("", ours.Wall.TotalMilliseconds, "ms"),
                Reference = Compared(ours, theirs) + (instructions > 0 ? $"; ours {instructions / 1e6:0} M instructions" : "")
                    + $"; OpenSSH ssh {Ms(ssh.Wall)} wall, {Ms(ssh.Cpu)} CPU",
                Values = [.. PairValues(ours, theirs, load), new("ssh_wall", ssh.Wall.TotalMilliseconds, "ms"), new("ssh_cpu", (ssh.Cpu ?? TimeSpan.Zero).TotalMilliseconds, "ms")],
            });
        }

        // Many nodes answering at once (ProxCLMC only): the handshakes alone.
        if (proxclmc is not null)
        {
            load = LoadAverageValues();
            var fast = await SshNodesAsync(work, "fast", options.SshNodes, 0, options.SshParallelism, port, null, cancellationToken);
            await using (fast.Fixture)
            {
                var (ours, theirs) = await CompareAsync(native, ["baseline", "--config", fast.Config], proxclmc, fast.Fixture, work, runs, patience, cancellationToken);
                CheckExit($"baseline via SSH ({options.SshNodes} nodes)", ours, errors);
                CheckProxClmc($"ProxCLMC ({options.SshNodes} nodes)", theirs, errors);
                var (ratio, _) = Ratios(ours, theirs);
                figures.Add(new ScaleFigure($"baseline via SSH ({options.SshNodes} nodes, {binary})", ours.Wall, ours.PeakRssKiB, options.SshNodes, "(no goal)", null,
                    $"{setting}; {how}; {LoadText(load)}")
                {
                    Cpu = ours.Cpu,
                    Figure = ratio is { } x ? new("faster than ProxCLMC", x, "x") : new("", ours.Wall.TotalMilliseconds, "ms"),
                    Reference = Compared(ours, theirs),
                    Values = PairValues(ours, theirs, load),
                });
            }
        }

        // Many nodes answering after a delay: the parallel collector against ssh in parallel and ProxCLMC (one by one).
        load = LoadAverageValues();
        var many = await SshNodesAsync(work, "many", options.SshNodes, options.SshDelayMs, options.SshParallelism, port, null, cancellationToken);
        await using (many.Fixture)
        {
            var (ours, theirs) = await CompareAsync(native, ["baseline", "--config", many.Config], proxclmc, many.Fixture, work, proxclmc is null ? 1 : runs, patience, cancellationToken);
            var list = Path.Combine(work, "many-addresses");
            await File.WriteAllLinesAsync(list, many.Fixture.Nodes.Select(n => n.Address), cancellationToken);
            var ssh = await RunChildAsync(["xargs", "-a", list, "-P", parallelism.ToString(CultureInfo.InvariantCulture), "-I{}", .. OpenSshCommand(many.Fixture, "{}")],
                1, null, cancellationToken);
            CheckExit($"baseline via SSH ({options.SshNodes} nodes at {options.SshDelayMs} ms)", ours, errors);
            CheckExit($"ssh in parallel ({options.SshNodes} nodes)", ssh, errors);
            CheckProxClmc($"ProxCLMC ({options.SshNodes} nodes at {options.SshDelayMs} ms)", theirs, errors);
            var (ratio, _) = Ratios(ours, theirs);
            var limit = TimeSpan.FromMilliseconds(Math.Ceiling(options.SshNodes / (double)parallelism) * options.SshDelayMs) + handshake;
            figures.Add(new ScaleFigure($"baseline via SSH ({options.SshNodes} nodes at {options.SshDelayMs} ms)", ours.Wall, ours.PeakRssKiB, options.SshNodes,
                goalsApply ? ">= 8x faster than ProxCLMC" : "(smoke: no goal)", !goalsApply || ratio is null ? null : ratio >= 8,
                $"{setting}; {how}; limit = ceil({options.SshNodes}/{parallelism}) x {options.SshDelayMs} ms + one OpenSSH handshake (the 1-node ssh run); {LoadText(load)}")
            {
                Cpu = ours.Cpu,
                Figure = ratio is { } x ? new("faster than ProxCLMC", x, "x") : new("", ours.Wall.TotalMilliseconds, "ms"),
                Reference = Compared(ours, theirs) + $"; limit {Ms(limit)}; OpenSSH ssh x{options.SshNodes} at parallelism {parallelism} {Ms(ssh.Wall)} wall, {Ms(ssh.Cpu)} CPU",
                Values = [.. PairValues(ours, theirs, load), new("limit", limit.TotalMilliseconds, "ms"),
                    new("ssh_wall", ssh.Wall.TotalMilliseconds, "ms"), new("ssh_cpu", (ssh.Cpu ?? TimeSpan.Zero).TotalMilliseconds, "ms")],
            });
        }

        // A node that accepts TCP and never speaks, and a node whose port refuses: one live node beside each.
        foreach (var (fault, name) in new[] { ("silent", "a silent node"), ("refused", "a refused port") })
        {
            if (native is null)
            {
                break;
            }

            load = LoadAverageValues();
            var faultRuns = fault == "silent" ? Math.Min(runs, 2) : runs;
            var nodes = await SshNodesAsync(work, fault, 1, 0, options.SshParallelism, port, fault, cancellationToken);
            await using (nodes.Fixture)
            {
                var (ours, theirs) = await CompareAsync(native, ["baseline", "--config", nodes.Config], proxclmc, nodes.Fixture, work, faultRuns, fault == "silent" ? options.KillAfter : patience, cancellationToken,
                    nodes.Corosync);
                if (ours.Exit != 3)
                {
                    errors.Add($"baseline via SSH with {name}: exit {ours.Exit} instead of 3: {FirstLine(ours.Error)}");
                }

                var theirsText = theirs is null ? "ProxCLMC not run (--proxclmc PATH)"
                    : theirs.Killed ? $"ProxCLMC killed after {options.KillAfter.TotalSeconds:0} s (still waiting)"
                    : $"ProxCLMC exit {theirs.Exit} after {Ms(theirs.Wall)}";
                figures.Add(new ScaleFigure($"baseline via SSH, 1 node and {name} ({binary})", ours.Wall, ours.PeakRssKiB, 2, "exit 3 (a node unreadable)", ours.Exit == 3,
                    $"ours exit {ours.Exit}: {FirstLine(ours.Error)}; {(proxclmc is null ? "" : "interleaved with ProxCLMC, ")}{faultRuns} runs; {LoadText(load)}")
                {
                    Cpu = ours.Cpu,
                    Figure = new($"to exit {ours.Exit}", ours.Wall.TotalMilliseconds, "ms"),
                    Reference = $"ours {MinMedian(ours.MinWall, ours.Wall)} wall, {MinMedian(ours.MinCpu, ours.Cpu)} CPU; {theirsText}",
                    Values = [.. PairValues(ours, theirs, load), new("exit", ours.Exit, "code"),
                        .. theirs is null ? Array.Empty<ScaleValue>() : [new ScaleValue("proxclmc_exit", theirs.Exit, "code"), new ScaleValue("proxclmc_killed", theirs.Killed ? 1 : 0, "bool")]],
                });
            }
        }
    }

    private static string Ms(TimeSpan? t) => t is { } v ? $"{v.TotalMilliseconds:0} ms" : "-";

    private static string MinMedian(TimeSpan? min, TimeSpan? median) => min is { } a && median is { } b ? $"{a.TotalMilliseconds:0}/{b.TotalMilliseconds:0} ms" : Ms(median);

    /// <summary>"ours 150/160 ms wall, 20/22 ms CPU; ProxCLMC ..." (minimum/median).</summary>
    private static string Compared(ChildRun ours, ChildRun? theirs) =>
        $"ours {MinMedian(ours.MinWall, ours.Wall)} wall, {MinMedian(ours.MinCpu, ours.Cpu)} CPU (min/median)"
        + (theirs is null ? "; ProxCLMC not run (--proxclmc PATH)"
            : $"; ProxCLMC {MinMedian(theirs.MinWall, theirs.Wall)} wall, {MinMedian(theirs.MinCpu, theirs.Cpu)} CPU"
              + (Ratios(ours, theirs) is ({ } w, { } c) ? $"; ProxCLMC/ours {w:0.00}x wall, ours/ProxCLMC {c:0.00}x CPU" : ""));

    /// <summary>ProxCLMC's median wall over ours (how many times faster ours is), and our median CPU over ProxCLMC's.</summary>
    private static (double? Wall, double? Cpu) Ratios(ChildRun ours, ChildRun? theirs) =>
        theirs is { Exit: 0, Killed: false } && ours.Wall > TimeSpan.Zero
            ? (theirs.Wall / ours.Wall, ours.Cpu is { } oc && theirs.Cpu is { } tc && tc > TimeSpan.Zero ? oc / tc : null)
            : (null, null);

    private static ScaleValue[] PairValues(ChildRun ours, ChildRun? theirs, double[] load)
    {
        var values = new List<ScaleValue>
        {
            new("load_1m", load[0], "avg"), new("load_5m", load[1], "avg"), new("load_15m", load[2], "avg"),
            new("ours_wall_min", ours.MinWall.TotalMilliseconds, "ms"), new("ours_wall_median", ours.Wall.TotalMilliseconds, "ms"),
        };
        if (ours.Cpu is { } cpu)
        {
            values.Add(new("ours_cpu_min", (ours.MinCpu ?? cpu).TotalMilliseconds, "ms"));
            values.Add(new("ours_cpu_median", cpu.TotalMilliseconds, "ms"));
        }

        if (theirs is not null)
        {
            values.Add(new("proxclmc_wall_min", theirs.MinWall.TotalMilliseconds, "ms"));
            values.Add(new("proxclmc_wall_median", theirs.Wall.TotalMilliseconds, "ms"));
            values.Add(new("proxclmc_cpu_min", (theirs.MinCpu ?? TimeSpan.Zero).TotalMilliseconds, "ms"));
            values.Add(new("proxclmc_cpu_median", (theirs.Cpu ?? TimeSpan.Zero).TotalMilliseconds, "ms"));
            if (Ratios(ours, theirs) is ({ } w, var c))
            {
                values.Add(new("ratio_wall", w, "x"));
                if (c is { } cr)
                {
                    values.Add(new("ratio_cpu", cr, "x"));
                }
            }
        }

        return [.. values];
    }

    private static string LoadText(double[] load) => $"load average {load[0]:0.00} {load[1]:0.00} {load[2]:0.00}";

    private static double[] LoadAverageValues()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return [.. fields.Take(3).Select(f => double.Parse(f, CultureInfo.InvariantCulture))];
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return [double.NaN, double.NaN, double.NaN];
        }
    }

    private static void CheckExit(string name, ChildRun run, List<string> errors)
    {
        if (run.Exit is not (0 or 1 or 2))
        {
            errors.Add($"{name}: exit {run.Exit}: {FirstLine(run.Error)}");
        }
    }

    private static void CheckProxClmc(string name, ChildRun? run, List<string> errors)
    {
        if (run is { } r && (r.Exit != 0 || r.Killed))
        {
            errors.Add($"{name}: " + (r.Killed ? "killed" : $"exit {r.Exit}") + $": {FirstLine(r.Error)}");
        }
    }

    /// <summary>
    /// Nodes on <paramref name="port"/> (0: a free one) and our config for them; <paramref name="fault"/> "silent" adds a
    /// node that accepts TCP and never speaks, "refused" one whose address refuses the port (both listed after the live node).
    /// </summary>
    private static async Task<(SshFixture Fixture, string Config, string Corosync)> SshNodesAsync(string work, string name, int count, int delayMs, int? parallelism, int port,
        string? fault, CancellationToken cancellationToken)
    {
        var cpuinfos = ScaleInputs.NodeCpuInfoPaths;
        var specs = Enumerable.Range(1, count)
            .Select(n => new FakeSshNodeSpec($"pve{n:00}", cpuinfos[(n - 1) % cpuinfos.Count]) { DelaySeconds = delayMs / 1000.0, RsaHostKey = false })
            .ToList();
        var ssh = await SshFixture.StartAsync(specs, port, cancellationToken);
        var corosync = Path.Combine(work, $"ssh-{name}-corosync.conf");
        var text = ssh.CorosyncConf();
        if (fault is not null)
        {
            var address = fault == "silent" ? ssh.StartSilentServer() : ssh.AllocateAddress();
            var extra = $"  node {{\n    name: pve{count + 1:00}\n    nodeid: {count + 1}\n    quorum_votes: 1\n    ring0_addr: {address}\n  }}\n";
            var end = text.IndexOf("}\n\nquorum", StringComparison.Ordinal);
            text = text[..end] + extra + text[end..];
        }

        await File.WriteAllTextAsync(corosync, text, cancellationToken);
        var config = Path.Combine(work, $"ssh-{name}.toml");
        await File.WriteAllTextAsync(config, $"""
            [cluster]
            corosync_conf = "{corosync}"
            pve_root = "{work}/no-pve"

            [facts]
            source = "ssh"
            cache_file = "{work}/ssh-{name}-facts-cache.json"

            [ssh]
            user = "root"
            port = {ssh.Port}
            identity_file = "{ssh.ClientKeyEd25519}"
            known_hosts = ["{ssh.KnownHostsPlain}"]
            """ + (parallelism is { } p ? $"\nparallelism = {p}\n" : "\n"), cancellationToken);
        return (ssh, config, corosync);
    }

    /// <summary>OpenSSH's client with the tool's settings: same key, same known_hosts, strict host keys, no prompts, no user config.</summary>
    private static string[] OpenSshCommand(SshFixture fixture, string address) =>
    [
        "ssh", "-F", "/dev/null", "-p", fixture.Port.ToString(CultureInfo.InvariantCulture), "-i", fixture.ClientKeyEd25519,
        "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + fixture.KnownHostsPlain,
        "-o", "GlobalKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5", "root@" + address, "cat /proc/cpuinfo",
    ];

    /// <summary>
    /// Ours (<c>native args</c>) and, when given, ProxCLMC on the same nodes, interleaved run by run. ProxCLMC always
    /// reads /etc/pve/corosync.conf: the runner then runs in its own mount namespace with an overlay over /etc that holds
    /// the nodes' corosync.conf, so both tools are its direct children (timed alike, no wrapper in either's figures).
    /// ProxCLMC checks no host key (it has no option for it). Without a binary, ours runs in-process.
    /// </summary>
    private static async Task<(ChildRun Ours, ChildRun? Theirs)> CompareAsync(string? native, string[] args, string? proxclmc, SshFixture fixture, string work, int runs,
        TimeSpan killAfter, CancellationToken cancellationToken, string? corosync = null)
    {
        if (native is null)
        {
            var times = new List<ChildRun>();
            for (var i = 0; i < runs; i++)
            {
                times.Add(await RunCliRepeatedAsync(null, args, 1, cancellationToken));
            }

            var walls = times.Select(t => t.Wall).Order().ToList();
            return (times[^1] with { Wall = walls[walls.Count / 2], MinWall = walls[0] }, null);
        }

        if (proxclmc is null)
        {
            return ((await RunInterleavedAsync([[native, .. args]], runs, killAfter, null, cancellationToken))[0], null);
        }

        var etc = corosync is null ? fixture.CorosyncConf() : await File.ReadAllTextAsync(corosync, cancellationToken);
        var both = await RunInterleavedAsync([[native, .. args], [proxclmc, "--ssh-file", fixture.ClientKeyEd25519]], runs, killAfter, etc, cancellationToken);
        return (both[0], both[1]);
    }

    // Runs each command of spec["commands"] once per round, spec["runs"] rounds (interleaved), each with its stdout and
    // stderr in files and killed (with its process group) after spec["timeout"] seconds; writes per command one list of
    // [wall s, user s, system s, maxrss KiB, exit, killed] per run to argv[2].
    private const string InterleavedRunnerScript = """
        import json, os, signal, sys, threading, time
        spec = json.load(open(sys.argv[1]))
        rows = [[] for _ in spec["commands"]]
        for _ in range(spec["runs"]):
            for i, c in enumerate(spec["commands"]):
                flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
                actions = [(os.POSIX_SPAWN_OPEN, 1, c["out"], flags, 0o600), (os.POSIX_SPAWN_OPEN, 2, c["err"], flags, 0o600)]
                t = time.monotonic()
                pid = os.posix_spawn(c["argv"][0], c["argv"], os.environ, file_actions=actions, setpgroup=0)
                killed = []
                def kill(pid=pid, killed=killed):
                    killed.append(1)
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                timer = threading.Timer(spec["timeout"], kill)
                timer.start()
                _, status, ru = os.wait4(pid, 0)
                timer.cancel()
                rows[i].append([time.monotonic() - t, ru.ru_utime, ru.ru_stime, ru.ru_maxrss, os.waitstatus_to_exitcode(status), len(killed)])
        with open(sys.argv[2], "w") as f:
            json.dump(rows, f)
        """;

    /// <summary>
    /// Runs the commands interleaved under the python3 runner: median and minimum wall and CPU of each, the last run's
    /// output. <paramref name="etcCorosync"/>: the runner runs in a mount namespace whose /etc/pve/corosync.conf is that text.
    /// </summary>
    private static async Task<IReadOnlyList<ChildRun>> RunInterleavedAsync(IReadOnlyList<string[]> commands, int runs, TimeSpan killAfter, string? etcCorosync,
        CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("proxclmc-runner-").FullName;
        try
        {
            var script = Path.Combine(dir, "runner.py");
            var spec = Path.Combine(dir, "spec.json");
            var figures = Path.Combine(dir, "figures.json");
            await File.WriteAllTextAsync(script, InterleavedRunnerScript, cancellationToken);
            using (var stream = File.Create(spec))
            using (var json = new System.Text.Json.Utf8JsonWriter(stream))
            {
                json.WriteStartObject();
                json.WriteNumber("runs", runs);
                json.WriteNumber("timeout", killAfter.TotalSeconds);
                json.WriteStartArray("commands");
                for (var i = 0; i < commands.Count; i++)
                {
                    json.WriteStartObject();
                    json.WriteStartArray("argv");
                    commands[i].ToList().ForEach(json.WriteStringValue);
                    json.WriteEndArray();
                    json.WriteString("out", Path.Combine(dir, $"{i}.out"));
                    json.WriteString("err", Path.Combine(dir, $"{i}.err"));
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            string[] runner = [Python, script, spec, figures];
            if (etcCorosync is not null)
            {
                Directory.CreateDirectory(Path.Combine(dir, "etc", "upper", "pve"));
                Directory.CreateDirectory(Path.Combine(dir, "etc", "work"));
                await File.WriteAllTextAsync(Path.Combine(dir, "etc", "upper", "pve", "corosync.conf"), etcCorosync, cancellationToken);
                var mount = $"mount -t overlay overlay -o lowerdir=/etc,upperdir={dir}/etc/upper,workdir={dir}/etc/work /etc && exec \"$@\"";
                runner = ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, "sh", .. runner];
            }

            var start = new ProcessStartInfo(runner[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            runner[1..].ToList().ForEach(start.ArgumentList.Add);
            using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + runner[0]);
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (!File.Exists(figures))
            {
                var why = $"the runner wrote no figures (exit {process.ExitCode}): {FirstLine(await stderr + await stdout)}";
                return [.. commands.Select(_ => new ChildRun(-1, TimeSpan.Zero, null, null, "", why))];
            }

            using var document = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(figures, cancellationToken));
            var result = new List<ChildRun>();
            var index = 0;
            foreach (var command in document.RootElement.EnumerateArray())
            {
                var rows = command.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToList();
                TimeSpan Median(Func<double[], double> pick) => TimeSpan.FromSeconds(rows.Select(pick).Order().ElementAt(rows.Count / 2));
                TimeSpan Min(Func<double[], double> pick) => TimeSpan.FromSeconds(rows.Min(pick));
                var output = await File.ReadAllTextAsync(Path.Combine(dir, $"{index}.out"), cancellationToken);
                var error = await File.ReadAllTextAsync(Path.Combine(dir, $"{index}.err"), cancellationToken);
                result.Add(new ChildRun((int)rows[^1][4], Median(r => r[0]), Median(r => r[1] + r[2]), (long)rows.Max(r => r[3]), output, error)
                {
                    MinWall = Min(r => r[0]),
                    MinCpu = Min(r => r[1] + r[2]),
                    Killed = rows.Any(r => r[5] > 0),
                });
                index++;
            }

            return result;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // ---------------------------------------------------------------- hook decision

    private static async Task RunHookCaseAsync(ScaleOptions options, string work, string? native, List<ScaleFigure> figures, List<string> errors, List<string> notes,
        CancellationToken cancellationToken)
    {
        if (native is null)
        {
            notes.Add("the hook row needs a binary (not run in-process)");
            return;
        }

        var config = await HookSetupAsync(work, cancellationToken);
        string[] hook = [native, "--config", config, "hook", "106", "pre-start"];
        var env = new Dictionary<string, string> { ["PVE_MIGRATED_FROM"] = "pve2" };
        var runs = Math.Max(options.Runs * 3, 3);
        var version = await RunChildAsync([native, "--version"], runs, null, cancellationToken);
        var decision = await RunChildAsync(hook, runs, env, cancellationToken);
        CheckExit("--version", version, errors);
        if (decision.Exit is not (0 or 1 or 2))
        {
            errors.Add($"hook 106 pre-start: exit {decision.Exit}: {FirstLine(decision.Error)}");
        }

        var wallRatio = decision.Wall / version.Wall;
        var cpuRatio = decision.Cpu is { } dc && version.Cpu is { } vc && vc > TimeSpan.Zero ? dc / vc : (double?)null;
        double? instructionRatio = null;
        var instructions = "";
        if (options.Instructions && File.Exists("/usr/bin/valgrind"))
        {
            var vi = await CallgrindInstructionsAsync(options.ProfileDir ?? work, "version", [native, "--version"], null, cancellationToken);
            var hi = await CallgrindInstructionsAsync(options.ProfileDir ?? work, "hook", hook, env, cancellationToken, decision.Exit, errors);
            if (vi > 0 && hi > 0)
            {
                instructionRatio = (double)hi / vi;
                instructions = $"; instructions (callgrind) {hi / 1e6:0.0} M vs {vi / 1e6:0.0} M";
            }
        }

        var ratio = instructionRatio ?? cpuRatio ?? wallRatio;
        var basis = instructionRatio is not null ? "instructions" : cpuRatio is not null ? "CPU" : "wall";
        var binary = Path.GetFileName(Path.GetDirectoryName(native)) == "aot" ? "NativeAOT" : "JIT";
        figures.Add(new ScaleFigure($"hook decision, {binary}, warm cache", decision.Wall, decision.PeakRssKiB, null, options.Smoke ? "(smoke: no goal)" : "<= 1.5x --version",
            options.Smoke ? null : ratio <= 1.5, $"VM 106 (cpu host) migrating from pve2, refused from the facts cache; median of {runs}; ratio by {basis}")
        {
            Cpu = decision.Cpu,
            Figure = new($"--version ({basis})", ratio, "x"),
            Reference = $"hook {Ms(decision.Wall)} wall, {decision.Cpu?.TotalMilliseconds:0.0} ms CPU; --version {Ms(version.Wall)} wall, {version.Cpu?.TotalMilliseconds:0.0} ms CPU" + instructions,
            Values = [
                new("version_wall", version.Wall.TotalMilliseconds, "ms"), new("version_cpu", (version.Cpu ?? TimeSpan.Zero).TotalMilliseconds, "ms"),
                new("ratio_wall", wallRatio, "x"), .. cpuRatio is { } c ? [new ScaleValue("ratio_cpu", c, "x")] : Array.Empty<ScaleValue>(),
                .. instructionRatio is { } i ? [new ScaleValue("ratio_instructions", i, "x")] : Array.Empty<ScaleValue>(),
            ],
        });
    }

    /// <summary>The lab cluster on a migration target (pve1) with a warm facts cache holding pve2's CPU, as on a node where the timer runs.</summary>
    private static async Task<string> HookSetupAsync(string work, CancellationToken cancellationToken)
    {
        var lab = RepoPaths.Combine("contrib", "examples", "lab-cluster");
        var pve = Path.Combine(work, "hook-pve");
        Directory.CreateDirectory(pve);
        File.Copy(Path.Combine(lab, "corosync.conf"), Path.Combine(pve, "corosync.conf"));
        CopyTree(Path.Combine(lab, "virtual-guest"), Path.Combine(pve, "virtual-guest"));
        foreach (var node in Directory.GetDirectories(Path.Combine(lab, "nodes")))
        {
            CopyTree(Path.Combine(node, "qemu-server"), Path.Combine(pve, "nodes", Path.GetFileName(node), "qemu-server"));
        }

        var cpu = (await File.ReadAllLinesAsync(Path.Combine(lab, "nodes", "pve2", "cpuinfo"), cancellationToken))
            .Select(l => l.Split(':', 2)).Where(p => p.Length == 2).GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.First()[1].Trim());
        string List(string key) => string.Join(',', cpu.GetValueOrDefault(key, "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => $"\"{f}\""));
        var bits = cpu.GetValueOrDefault("address sizes", "46 bits").Split(' ')[0];
        var cache = Path.Combine(work, "hook-cache.json");
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(cache, $$$"""
            {"schemaVersion":1,"nodes":{"pve2":{"source":"ssh","address":"10.10.10.12","collectedAt":"{{{now}}}",
            "cpu":{"architecture":"x86_64","vendorId":"{{{cpu["vendor_id"]}}}","family":{{{cpu["cpu family"]}}},"model":{{{cpu["model"]}}},
            "stepping":{{{cpu["stepping"]}}},"modelName":"{{{cpu["model name"]}}}","flags":[{{{List("flags")}}}],"bugs":[{{{List("bugs")}}}],
            "physicalAddressBits":{{{bits}}},"processorCount":1} } } }
            """, cancellationToken);
        var config = Path.Combine(work, "hook.toml");
        await File.WriteAllTextAsync(config, $"""
            [cluster]
            corosync_conf = "{pve}/corosync.conf"
            pve_root = "{pve}"
            local_node = "pve1"
            [facts]
            local_cpuinfo = "{Path.Combine(lab, "nodes", "pve1", "cpuinfo")}"
            cache_file = "{cache}"
            max_age_seconds = 86400
            """, cancellationToken);
        return config;
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var dir in Directory.GetDirectories(from))
        {
            CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }

    /// <summary>
    /// Instructions one run executes under callgrind (its "summary:" line); 0 when valgrind failed, or when the run
    /// ended with another exit code than <paramref name="expectedExit"/> (the one the same command gave without
    /// valgrind): a hook that overran its own time budget under callgrind answers from the timeout, and its count would
    /// leave out the decision.
    /// </summary>
    private static async Task<long> CallgrindInstructionsAsync(string work, string name, string[] command, IReadOnlyDictionary<string, string>? env, CancellationToken cancellationToken,
        int? expectedExit = null, List<string>? errors = null)
    {
        var file = Path.Combine(work, $"callgrind.{name}.out");
        Directory.CreateDirectory(work);
        var binary = await SymbolizedCopyAsync(command[0], work, cancellationToken);
        var run = await RunChildAsync(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + file, binary, .. command[1..]], 1, env, cancellationToken);
        if (!File.Exists(file))
        {
            return 0;
        }

        if (expectedExit is { } expected && run.Exit != expected)
        {
            errors?.Add($"{name} under callgrind: exit {run.Exit} instead of {expected} ({FirstLine(run.Error)}); its instruction count is not used");
            return 0;
        }

        var summary = File.ReadLines(file).FirstOrDefault(l => l.StartsWith("summary:", StringComparison.Ordinal)) ?? File.ReadLines(file).LastOrDefault(l => l.StartsWith("totals:", StringComparison.Ordinal));
        return run.Exit >= 0 && summary is not null && long.TryParse(summary.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
    }

    /// <summary>
    /// valgrind 3.19 gives up on the DWARF 5 of the NativeAOT binary's proxclmc-guard.dbg: a copy linked to that file
    /// with its debug sections stripped (symbol table kept) gives callgrind function names; else the binary itself.
    /// </summary>
    private static async Task<string> SymbolizedCopyAsync(string binary, string work, CancellationToken cancellationToken)
    {
        binary = Path.GetFullPath(binary);
        var dbg = binary + ".dbg";
        var copy = Path.Combine(work, "symbols", Path.GetFileName(binary));
        if (File.Exists(copy))
        {
            return copy;
        }

        if (!File.Exists(dbg) || !File.Exists("/usr/bin/objcopy"))
        {
            return binary;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        var symbols = Path.GetFileName(binary) + ".sym";
        foreach (var step in (string[][])[
            ["objcopy", "--strip-debug", dbg, Path.Combine(work, "symbols", symbols)],
            ["objcopy", "--remove-section=.gnu_debuglink", binary, copy],
            ["objcopy", "--add-gnu-debuglink=" + symbols, copy]])
        {
            var start = new ProcessStartInfo(step[0]) { WorkingDirectory = Path.Combine(work, "symbols"), UseShellExecute = false, RedirectStandardError = true };
            step[1..].ToList().ForEach(start.ArgumentList.Add);
            using var process = Process.Start(start)!;
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                return binary;
            }
        }

        return copy;
    }

    // ---------------------------------------------------------------- running children

    /// <summary>Median wall and CPU of the runs (the last run's output), peak RSS the highest.</summary>
    private sealed record ChildRun(int Exit, TimeSpan Wall, TimeSpan? Cpu, long? PeakRssKiB, string Out, string Error)
    {
        /// <summary>The fastest run's wall time (the median is <see cref="Wall"/>).</summary>
        public TimeSpan MinWall { get; init; } = Wall;

        /// <summary>The least CPU time of a run (the median is <see cref="Cpu"/>).</summary>
        public TimeSpan? MinCpu { get; init; } = Cpu;

        /// <summary>A run was killed after the harness's time limit (ProxCLMC waits forever on a silent node).</summary>
        public bool Killed { get; init; }
    }

    private static async Task<ChildRun> RunCliRepeatedAsync(string? cli, string[] args, int runs, CancellationToken cancellationToken)
    {
        if (cli is not null)
        {
            return await RunChildAsync([cli, .. args], runs, null, cancellationToken);
        }

        var output = new StringWriter();
        var error = new StringWriter();
        var sw = Stopwatch.StartNew();
        var exit = await new GuardCli(new CliEnvironment { Out = output, Error = error }).InvokeAsync(args, cancellationToken);
        return new ChildRun(exit, sw.Elapsed, null, ReadOwnPeakRss(), output.ToString(), error.ToString());
    }

    /// <summary>Runs <paramref name="command"/> <paramref name="runs"/> times under the python3 runner (wait4 rusage); without python3, timed here with no CPU figure.</summary>
    private static async Task<ChildRun> RunChildAsync(string[] command, int runs, IReadOnlyDictionary<string, string>? env, CancellationToken cancellationToken)
    {
        var measure = File.Exists(Python);
        var figures = Path.GetTempFileName();
        var script = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(script, RunnerScript, cancellationToken);
            var start = new ProcessStartInfo(measure ? Python : command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in measure ? [script, figures, runs.ToString(CultureInfo.InvariantCulture), .. command] : command[1..])
            {
                start.ArgumentList.Add(a);
            }

            foreach (var (key, value) in env ?? new Dictionary<string, string>())
            {
                start.Environment[key] = value;
            }

            var sw = Stopwatch.StartNew();
            using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + command[0]);
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            var wall = sw.Elapsed;
            if (!measure)
            {
                return new ChildRun(process.ExitCode, wall, null, null, await stdout, await stderr);
            }

            using var json = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(figures, cancellationToken));
            var rows = json.RootElement.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToList();
            if (rows.Count == 0)
            {
                return new ChildRun(-1, wall, null, null, await stdout, await stderr);
            }

            TimeSpan Median(Func<double[], double> pick) => TimeSpan.FromSeconds(rows.Select(pick).Order().ElementAt(rows.Count / 2));
            return new ChildRun((int)rows[^1][4], Median(r => r[0]), Median(r => r[1] + r[2]), (long)rows.Max(r => r[3]), await stdout, await stderr)
            {
                MinWall = TimeSpan.FromSeconds(rows.Min(r => r[0])),
                MinCpu = TimeSpan.FromSeconds(rows.Min(r => r[1] + r[2])),
            };
        }
        catch (System.Text.Json.JsonException)
        {
            return new ChildRun(-1, TimeSpan.Zero, null, null, "", "the runner wrote no figures");
        }
        finally
        {
            File.Delete(figures);
            File.Delete(script);
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
