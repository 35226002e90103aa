using System.Text;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.Core.Tests.Guests;
using ProxClmc.Guard.Testing;
using static ProxClmc.Guard.Core.Tests.Compliance.ComplianceFixtures;

namespace ProxClmc.Guard.Core.Tests.Compliance;

/// <summary>
/// Every VM config of tests/corpus/qemu-server, judged against a fixed two-node cluster (Haswell-EP E5-2680 v3 and
/// Skylake-SP Gold 6132, both real corpus cpuinfo files; custom models from qemu-server's test cpu-models.conf),
/// compared with the reviewed table Fixtures/compliance/corpus-verdicts.tsv (file, verdict, what the config asks
/// for). A new corpus config without a reviewed row fails the test. After an intended change, regenerate with
/// <c>PROXCLMC_UPDATE_GOLDEN=1 dotnet test tests/ProxClmc.Guard.Core.Tests --filter FullyQualifiedName~CorpusVerdict</c>
/// and review every changed row before committing.
/// </summary>
public sealed class CorpusVerdictTests
{
    private static string FixturePath => Path.Combine(Dir, "corpus-verdicts.tsv");

    [Fact]
    public void Every_corpus_VM_config_gets_its_reviewed_verdict_on_a_Haswell_and_Skylake_cluster()
    {
        var cluster = HaswellAndSkylake();
        var customPath = Path.Combine(RepoPaths.Corpus, "qemu-server", "cpu-models", "qemu-server-test-mock-cpu-models.conf");
        var custom = CustomCpuModels.Parse(File.ReadAllText(customPath), customPath).GetValueOrThrow();
        var evaluator = new ComplianceEvaluator(cluster, CpuCatalog.Default, new GuardPolicy(), custom);

        var actual = new List<(string File, string Verdict, string Asks)>();
        foreach (var file in GuestCorpus.VmConfigs)
        {
            var parsed = VmConfig.Parse(GuestCorpus.Read(file), file);
            Assert.True(parsed.IsSuccess, $"{file} does not parse: {parsed.Error}");
            var guest = parsed.Value!.ToGuest(100, "hsw", null, file);
            var verdict = evaluator.Evaluate(guest);
            actual.Add((file, verdict.Verdict.Name(), Asks(guest)));
        }

        if (Environment.GetEnvironmentVariable("PROXCLMC_UPDATE_GOLDEN") == "1")
        {
            var text = new StringBuilder(Header);
            foreach (var row in actual)
            {
                text.Append(row.File).Append('\t').Append(row.Verdict).Append('\t').Append(row.Asks).Append('\n');
            }

            File.WriteAllText(FixturePath, text.ToString());
        }

        var expected = File.ReadAllLines(FixturePath)
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t'))
            .ToDictionary(c => c[0], c => c[1], StringComparer.Ordinal);

        var missing = actual.Where(a => !expected.ContainsKey(a.File)).Select(a => a.File).ToList();
        Assert.True(missing.Count == 0, "corpus configs without a reviewed verdict in corpus-verdicts.tsv: " + string.Join(", ", missing));
        var stale = expected.Keys.Except(actual.Select(a => a.File), StringComparer.Ordinal).ToList();
        Assert.True(stale.Count == 0, "rows for configs no longer in the corpus: " + string.Join(", ", stale));
        Assert.Equal(
            expected.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}\t{p.Value}"),
            actual.Select(a => $"{a.File}\t{a.Verdict}"));
    }

    [Fact]
    public void The_reviewed_table_covers_every_verdict_the_corpus_can_show()
    {
        var verdicts = File.ReadAllLines(FixturePath).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split('\t')[1]).ToHashSet();

        Assert.Contains("ok", verdicts);
        Assert.Contains("host-cpu", verdicts);
        Assert.Contains("exceeds-baseline", verdicts);
    }

    private const string Header =
        "# Verdicts of every tests/corpus/qemu-server VM config on a Haswell-EP (E5-2680 v3) + Skylake-SP (Gold 6132) cluster.\n" +
        "# Reviewed by hand (the generator only proposes; every row was checked against its cpu/args):\n" +
        "# - no cpu line (kvm64), x86-64-v2-AES, x86-64-v3, custom-alldefault (reported-model kvm64): both nodes run them: ok.\n" +
        "# - host / max, also through args -cpu host: the two CPUs differ: host-cpu.\n" +
        "# - Icelake-Client (mapped to Icelake-Server): Haswell lacks avx512*: exceeds-baseline.\n" +
        "# - custom-qemu64 (reported-model athlon, an AMD model) on Intel nodes: exceeds-baseline (vendor).\n" +
        "# - args -cpu Penryn,...,+fma4 (hongyizhao-103): fma4 is AMD-only: exceeds-baseline; Penryn without it (iroger): ok.\n" +
        "# - args -cpu Haswell-noTSX,+invtsc,+hypervisor (technomagniaque-222/333/444): both nodes have it: ok.\n" +
        "# - pavoim-100 has no -cpu in args (only '-smbios ... vmware-cpuid-freq'), so its cpu: host decides: host-cpu.\n" +
        "# - arch: aarch64 (cfg2cmd/aarch64/simple-arm) on x86_64 nodes is emulated without KVM: not-applicable.\n" +
        "# file\tverdict\twhat the config asks for\n";

    /// <summary>What the reviewer checks the verdict against: the cpu value, an args -cpu, kvm, or the default.</summary>
    private static string Asks(GuestConfig guest)
    {
        var parts = new List<string>();
        if (guest.Args is { } args && args.IndexOf("-cpu ", StringComparison.Ordinal) is var at and >= 0)
        {
            var end = args.IndexOf(" -", at + 5, StringComparison.Ordinal);
            parts.Add("args: " + (end < 0 ? args[at..] : args[at..end]));
        }

        parts.Add(guest.Cpu is null ? "no cpu line (kvm64)" : "cpu: " + guest.Cpu);
        if (guest.Kvm == false)
        {
            parts.Add("kvm: 0");
        }

        if (guest.PendingCpu is not null)
        {
            parts.Add("pending cpu: " + guest.PendingCpu);
        }

        return string.Join("; ", parts).Replace('\t', ' ');
    }
}
