using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using ProxClmc.Guard.Benchmarks;

// bench [BenchmarkDotNet options, e.g. --filter * --job short]   the micro-benchmarks of the hot paths
// scale [--smoke] [--nodes 64] [--vms 10000] [--latency-ms 2] [--ssh-nodes 32] [--ssh-delay-ms 200] [--parallelism N]
var verb = args.Length > 0 ? args[0] : "";
var rest = args.Skip(1).ToArray();
switch (verb)
{
    case "bench":
        var summaries = BenchmarkSwitcher.FromTypes([typeof(ParserBenchmarks), typeof(ComplianceBenchmarks)])
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
    default:
        Console.Error.WriteLine("usage: ProxClmc.Guard.Benchmarks bench [--filter * --job short] | scale [--smoke] [--nodes N] [--vms N] [--latency-ms N] [--ssh-nodes N] [--ssh-delay-ms N] [--parallelism N] [--in-process] [--cli PATH]");
        return 64;
}
