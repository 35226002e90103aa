using BenchmarkDotNet.Attributes;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Benchmarks;

/// <summary>The parsers on the inputs of a big cluster: a 512-thread host, 64 nodes, 10,000 VM configs.</summary>
[MemoryDiagnoser]
public class ParserBenchmarks
{
    private string _cpuInfo512 = "";
    private string _corosync64 = "";
    private IReadOnlyList<(int VmId, string Text)> _vmConfigs = [];
    private string[] _cpuValues = [];

    [GlobalSetup]
    public void Setup()
    {
        _cpuInfo512 = ScaleInputs.CpuInfoOfHost(512);
        _corosync64 = ScaleInputs.CorosyncOf(64);
        _vmConfigs = ScaleInputs.VmConfigs(10_000);
        _cpuValues = ScaleInputs.CpuLines.Where(c => c.Length > 0).ToArray();
    }

    [Benchmark(Description = "cpuinfo, 512 threads")]
    public CpuInfo CpuInfo512Threads() => CpuInfoParser.Parse(_cpuInfo512).GetValueOrThrow();

    [Benchmark(Description = "corosync.conf, 64 nodes")]
    public ClusterMembership Corosync64Nodes() => CorosyncConfig.Parse(_corosync64).GetValueOrThrow();

    [Benchmark(Description = "10,000 VM configs")]
    public int VmConfigs10000()
    {
        var parsed = 0;
        foreach (var (vmId, text) in _vmConfigs)
        {
            if (VmConfig.Parse(text, "x.conf").IsSuccess)
            {
                parsed++;
            }
        }

        return parsed;
    }

    [Benchmark(Description = "cpu value parse + format, x16")]
    public int GuestCpuParseFormat()
    {
        var length = 0;
        foreach (var value in _cpuValues)
        {
            var cpu = GuestCpu.Parse(value).GetValueOrThrow();
            length += (cpu with { Level = 13 }).Format().Length;
        }

        return length;
    }
}

/// <summary>Judging a big cluster: the baseline of 64 nodes and 10,000 guests against it.</summary>
[MemoryDiagnoser]
public class ComplianceBenchmarks
{
    private IReadOnlyList<NodeFacts> _facts = [];
    private IReadOnlyList<GuestConfig> _guests = [];
    private ComplianceEvaluator _evaluator = null!;
    private CustomCpuModels _custom = CustomCpuModels.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _facts = ScaleInputs.NodeFactsOf(64);
        _guests = ScaleInputs.GuestsOf(10_000, 64);
        _custom = ScaleInputs.LabCustomModels();
        _evaluator = new ComplianceEvaluator(ScaleInputs.BaselineOf(_facts), CpuCatalog.Default, new GuardPolicy(), _custom);
    }

    [Benchmark(Description = "ClusterBaseline.Compute, 64 nodes")]
    public ClusterBaseline Baseline64Nodes() => ClusterBaseline.Compute(_facts, CpuCatalog.Default, new GuardPolicy());

    [Benchmark(Description = "EvaluateAll, 10,000 guests x 64 nodes")]
    public ComplianceReport Evaluate10000Guests() => _evaluator.EvaluateAll(_guests, DateTimeOffset.UnixEpoch);

    [Benchmark(Description = "new evaluator + EvaluateAll (cold caches)")]
    public ComplianceReport EvaluateCold() =>
        new ComplianceEvaluator(ScaleInputs.BaselineOf(_facts), CpuCatalog.Default, new GuardPolicy(), _custom)
            .EvaluateAll(_guests, DateTimeOffset.UnixEpoch);
}

/// <summary>The guest table of 10,000 guests (the CLI's table output without the process around it).</summary>
[MemoryDiagnoser]
public class RenderingBenchmarks
{
    private ComplianceReport _report = null!;

    [GlobalSetup]
    public void Setup()
    {
        var facts = ScaleInputs.NodeFactsOf(64);
        _report = new ComplianceEvaluator(ScaleInputs.BaselineOf(facts), CpuCatalog.Default, new GuardPolicy(), ScaleInputs.LabCustomModels())
            .EvaluateAll(ScaleInputs.GuestsOf(10_000, 64), DateTimeOffset.UnixEpoch);
    }

    [Benchmark(Description = "TableRenderer.WriteGuests, 10,000 guests")]
    public int WriteGuests10000()
    {
        var writer = new StringWriter();
        new ProxClmc.Guard.Rendering.TableRenderer(writer, 120).WriteGuests(_report);
        return writer.GetStringBuilder().Length;
    }
}
