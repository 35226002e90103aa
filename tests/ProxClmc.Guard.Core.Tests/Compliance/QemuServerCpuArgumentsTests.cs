using System.Text;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.Testing;
using static ProxClmc.Guard.Core.Tests.Compliance.ComplianceFixtures;

namespace ProxClmc.Guard.Core.Tests.Compliance;

/// <summary>
/// reference/qemu-server-cpu-arguments.tsv holds, for the 95 VM configs of qemu-server 9.2.6's own test suite
/// (src/test/cfg2cmd), the exact <c>-cpu</c> argument Proxmox builds. Each config is judged twice on a vendor-mixed
/// cluster of real corpus CPUs (Haswell-EP, Westmere, EPYC Zen 4): once from its <c>cpu</c>/<c>ostype</c>/
/// <c>machine</c> as written, once as a twin whose <c>args: -cpu '&lt;that argument&gt;'</c> is what QEMU really
/// gets. Both must ask the same of every node (same per-node answer and missing flags) and get the same verdict.
/// </summary>
public sealed class QemuServerCpuArgumentsTests
{
    private sealed record Row(string Test, string HostArch, string Arch, string OsType, string Machine, string Kvm, string Template, string Cpu, string Args, string ProxmoxCpu);

    private static IReadOnlyList<Row> Rows()
    {
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Reference, "qemu-server-cpu-arguments.tsv"));
        Assert.Equal("test\thost_arch\tarch\tostype\tmachine\tkvm\ttemplate\tcpu_option\targs\tproxmox_cpu_argument", lines[0]);
        return lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t')).Select(c => new Row(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9])).ToList();
    }

    /// <summary>The config lines that matter, in Proxmox's file format.</summary>
    private static string ConfigText(Row row, bool twin)
    {
        var text = new StringBuilder("boot: order=scsi0\ncores: 2\nmemory: 2048\nname: ").Append(row.Test.Replace('/', '-').Replace(".conf", "", StringComparison.Ordinal)).Append('\n');
        void Add(string key, string value)
        {
            if (value.Length > 0)
            {
                text.Append(key).Append(": ").Append(value).Append('\n');
            }
        }

        Add("arch", row.Arch);
        Add("ostype", row.OsType);
        Add("machine", row.Machine);
        Add("kvm", row.Kvm);
        Add("template", row.Template);
        Add("cpu", row.Cpu);
        Add("args", twin ? $"-cpu '{row.ProxmoxCpu}'" : row.Args);
        return text.ToString();
    }

    private static GuestConfig Guest(Row row, bool twin)
    {
        // qemu-server's test mock reports an AMD host for the *-amd-* configs and an Intel host otherwise.
        var node = row.Test.Contains("-amd-", StringComparison.Ordinal) ? "epyc" : "hsw";
        var file = $"{row.Test}{(twin ? " (args twin)" : "")}";
        return VmConfig.Parse(ConfigText(row, twin), file).GetValueOrThrow().ToGuest(100, node, null, file);
    }

    [Fact]
    public void Every_config_asks_of_each_node_what_Proxmoxs_exact_cpu_argument_asks_and_gets_the_same_verdict()
    {
        // Westmere has no AVX: a flag lost or gained on one side shows in what that node lacks.
        var cluster = Nodes(Node("hsw", Haswell), Node("wsm", "intel-core-i5-m560-westmere-arrandale.txt"), Node("epyc", "amd-epyc-9654-zen4.txt"));
        Assert.True(cluster.VendorMix);
        var customPath = Path.Combine(RepoPaths.Corpus, "qemu-server", "cpu-models", "qemu-server-test-mock-cpu-models.conf");
        var custom = CustomCpuModels.Parse(File.ReadAllText(customPath), customPath).GetValueOrThrow();
        var evaluator = new ComplianceEvaluator(cluster, CpuCatalog.Default, new GuardPolicy(), custom);

        var rows = Rows();
        Assert.Equal(95, rows.Count);
        var compared = 0;
        var differences = new List<string>();
        foreach (var row in rows)
        {
            if (row.HostArch != "x86_64")
            {
                // Configs run on an aarch64 host: the nodes here are x86_64, so there is nothing to compare.
                Assert.StartsWith("aarch64/", row.Test, StringComparison.Ordinal);
                continue;
            }

            var asWritten = evaluator.Evaluate(Guest(row, twin: false));
            if (row.Template == "1")
            {
                // Proxmox starts a template (for backups only) as qemu64 without enforce: it asks nothing of the
                // node. Its clones get the template's cpu, which is what the verdict is about (note 'template').
                Assert.DoesNotContain("enforce", row.ProxmoxCpu.Split(','));
                Assert.Single(asWritten.Notes, n => n.Code == GuestNote.Template);
                continue;
            }

            var twin = evaluator.Evaluate(Guest(row, twin: true));
            compared++;
            var written = Describe(asWritten);
            var exact = Describe(twin);
            if (written != exact)
            {
                differences.Add($"{row.Test}: cpu '{row.Cpu}' -> {written}; -cpu {row.ProxmoxCpu} -> {exact}");
            }
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences));
        Assert.Equal(90, compared);
    }

    [Fact]
    public void The_configs_cover_what_Proxmox_changes_by_itself()
    {
        var arguments = Rows().ToDictionary(r => r.Test, r => r.ProxmoxCpu);

        Assert.Contains("-x2apic", arguments["os-solaris.conf"].Split(','));
        Assert.Contains("-cet-ibt", arguments["startdate-win11.conf"].Split(','));
        Assert.Contains("hv_evmcs", arguments["win11-host-11.0+pve2.conf"].Split(','));
        Assert.DoesNotContain("hv_evmcs", arguments["win11-amd-host-11.0+pve2.conf"].Split(','));
        Assert.Contains("+virt-ssbd", arguments["custom-cpu-model.conf"].Split(','));
        Assert.StartsWith("Icelake-Server,", arguments["cputype-icelake-client-deprecation.conf"], StringComparison.Ordinal);
    }

    /// <summary>The verdict and, per node, whether it can run the guest and which flags it lacks.</summary>
    private static string Describe(GuestVerdict verdict) =>
        verdict.Verdict.Name() + " [" + string.Join("; ", verdict.Fits.Select(f =>
            $"{f.Node}: {(f.CanRun is null ? "?" : f.CanRun.Value ? "runs" : "refuses")}{(f.VendorMismatch ? " vendor" : "")}{(f.MissingFlags.Count > 0 ? " lacks " + string.Join(",", f.MissingFlags.Order(StringComparer.Ordinal)) : "")}")) + "]";
}
