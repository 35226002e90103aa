using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using ProxClmc.Guard.Benchmarks;

// bench [BenchmarkDotNet options, e.g. --filter * --job short]   the micro-benchmarks of the hot paths
// scale [--smoke] [--nodes 64] [--vms 10000] [--latency-ms 2] [--ssh-nodes 32] [--ssh-delay-ms 200] [--parallelism N] [--ssh-parallelism N] [--kill-after S]
//       [--runs 7] [--aot PATH] [--proxclmc PATH] [--instructions] [--format table|json]   the figures of README "Measured speed", each with goal and reference
// html [--nodes 64] [--vms 10000] [--runs 3]   the size of scan --format html and the time headless chromium takes to open it
var verb = args.Length > 0 ? args[0] : "";
var rest = args.Skip(1).ToArray();
switch (verb)
{
    case "bench":
        var summaries = BenchmarkSwitcher.FromTypes([typeof(ParserBenchmarks), typeof(ComplianceBenchmarks), typeof(RenderingBenchmarks)])
            .Run(rest.Contains("--filter") ? rest : ["--filter", "*", .. rest], DefaultConfig.Instance.WithOptions(ConfigOptions.JoinSummary));
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    case "scale":
        ScaleOptions options;
        try
        {
            options = ScaleOptions.Parse(rest);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 64;
        }

        return await ScaleHarness.RunAsync(options, Console.Out);
    case "html":
        try
        {
            return await PageLoadBenchmark.RunAsync(rest, Console.Out);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 64;
        }

    default:
        Console.Error.WriteLine("usage: ProxClmc.Guard.Benchmarks bench [--filter * --job short] | " + ScaleOptions.Usage + " | " + PageLoadBenchmark.Usage);
        return 64;
}
