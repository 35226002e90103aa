using System.Diagnostics;
using System.Globalization;
using System.Text;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Benchmarks;

/// <summary>
/// <c>html [--nodes 64] [--vms 10000] [--runs 3]</c>: the size of <c>scan --format html</c> for the scale harness's
/// cluster (the same synthetic snapshot as its table row) and how long Debian's chromium, headless, takes to open it:
/// <c>--dump-dom</c> of the page (parse, style, layout, the page's script) minus <c>--dump-dom</c> of an empty page
/// (chromium's own start), medians of <c>--runs</c>. The page is kept as artifacts/html/scale-&lt;vms&gt;.html.
/// </summary>
public static class PageLoadBenchmark
{
    public const string Usage = "html [--nodes N] [--vms N] [--runs N]";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output)
    {
        int nodes = 64, vms = 10_000, runs = 3;
        for (var i = 0; i < args.Count; i++)
        {
            int Next() => i + 1 < args.Count && int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw new ArgumentException($"{args[i - 1]} needs a whole number ({Usage})");
            switch (args[i])
            {
                case "--nodes": nodes = Next(); break;
                case "--vms": vms = Next(); break;
                case "--runs": runs = Next(); break;
                default: throw new ArgumentException($"unknown option '{args[i]}' ({Usage})");
            }
        }

        var work = Directory.CreateTempSubdirectory("proxclmc-html-bench-");
        try
        {
            var snapshot = Path.Combine(work.FullName, "snapshot");
            FakeSnapshotGenerator.Write(snapshot, nodes, vms, ScaleInputs.NodeCpuInfoPaths);

            var page = new StringWriter(new StringBuilder(), CultureInfo.InvariantCulture) { NewLine = "\n" };
            var clock = Stopwatch.StartNew();
            var exit = await new GuardCli(new CliEnvironment { Out = page, Error = TextWriter.Null }).InvokeAsync(["scan", "--from", snapshot, "--format", "html"]);
            var render = clock.Elapsed;
            if (exit is not (0 or 1 or 2))
            {
                await output.WriteLineAsync($"scan --format html exited {exit}");
                return 1;
            }

            var artifacts = RepoPaths.Combine("artifacts", "html");
            Directory.CreateDirectory(artifacts);
            var file = Path.Combine(artifacts, $"scale-{vms}.html");
            var bytes = Encoding.UTF8.GetBytes(page.ToString());
            await File.WriteAllBytesAsync(file, bytes);
            var empty = Path.Combine(work.FullName, "empty.html");
            await File.WriteAllTextAsync(empty, "<!DOCTYPE html><title>empty</title>");

            var blank = new List<TimeSpan>();
            var loaded = new List<TimeSpan>();
            var blankCpu = new List<TimeSpan>();
            var loadedCpu = new List<TimeSpan>();
            var domBytes = 0;
            for (var r = 0; r < runs; r++)
            {
                var before = ChildrenCpu();
                // The wall clock is the benchmark's own: the shared chromium runner only runs it.
                var browserClock = Stopwatch.StartNew();
                HeadlessChromium.Run(["--dump-dom", HeadlessChromium.Url(empty)], TimeSpan.FromMinutes(10));
                blank.Add(browserClock.Elapsed);
                var between = ChildrenCpu();
                browserClock.Restart();
                var (dom, _) = HeadlessChromium.Run(["--dump-dom", HeadlessChromium.Url(file)], TimeSpan.FromMinutes(10));
                loaded.Add(browserClock.Elapsed);
                blankCpu.Add(between - before);
                loadedCpu.Add(ChildrenCpu() - between);
                domBytes = dom.Length;
            }

            var guests = CountOf(page.ToString(), "<th scope=\"row\">") - nodes;
            var median = (List<TimeSpan> l) => l.Order().ElementAt(l.Count / 2);
            await output.WriteLineAsync($"cluster: {nodes} nodes, {vms} VMs ({guests} guest rows); page {file}");
            await output.WriteLineAsync($"page size: {bytes.Length / 1e6:0.00} MB ({bytes.Length} bytes; goal < 8 MB: {(bytes.Length < 8_000_000 ? "met" : "NOT met")})");
            await output.WriteLineAsync($"scan --from + render in process: {render.TotalMilliseconds:0} ms");
            await output.WriteLineAsync($"chromium --dump-dom, page: {median(loaded).TotalMilliseconds:0} ms; empty page: {median(blank).TotalMilliseconds:0} ms; opening the page: {(median(loaded) - median(blank)).TotalMilliseconds:0} ms (median of {runs}; DOM after the script: {domBytes / 1e6:0.00} MB of text)");
            await output.WriteLineAsync($"chromium CPU (user + system, all its processes): page {median(loadedCpu).TotalMilliseconds:0} ms; empty page: {median(blankCpu).TotalMilliseconds:0} ms; opening the page: {(median(loadedCpu) - median(blankCpu)).TotalMilliseconds:0} ms");
            await output.WriteLineAsync($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>
    /// User + system CPU of every finished child and grandchild of this process (getrusage RUSAGE_CHILDREN, as
    /// /proc/self/stat's cutime and cstime give it, in 1/100 s): chromium's renderer and GPU processes included. Load on
    /// the machine stretches wall time, hardly this.
    /// </summary>
    private static TimeSpan ChildrenCpu()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    private static int CountOf(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
