using System.Globalization;
using System.Text;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Policy;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Testing;

/// <summary>
/// Large inputs in the real formats, built from the corpus and the lab cluster (never invented text): the benchmarks
/// and the scale harness measure the same bytes a big cluster would give.
/// </summary>
public static class ScaleInputs
{
    /// <summary>Real node CPUs of a mixed Intel cluster (Haswell to Sapphire Rapids), assigned to nodes in turn.</summary>
    public static readonly string[] NodeCpuInfoFiles =
    [
        "intel-xeon-e5-2680v3-haswell.txt",
        "intel-xeon-e5-2690v4-broadwell.txt",
        "intel-xeon-gold-6132-skylake-sp.txt",
        "intel-xeon-gold-6230-cascadelake.txt",
        "intel-xeon-platinum-8260m-cascadelake.txt",
        "intel-xeon-platinum-8480plus-sapphirerapids.txt",
    ];

    /// <summary>cpu lines as administrators write them: levels, named models with flags, host, max, none, custom models.</summary>
    public static readonly string[] CpuLines =
    [
        "x86-64-v2-AES", "x86-64-v3", "host", "", "kvm64", "Haswell-noTSX,flags=+aes", "x86-64-v2-AES,flags=+pcid;+spec-ctrl",
        "max", "Skylake-Server-IBRS", "cputype=Cascadelake-Server-v1,flags=-pcid", "x86-64-v4", "EPYC-Rome", "qemu64",
        "host,hidden=1,flags=+pdpe1gb", "custom-lab-sandy", "Broadwell-noTSX-IBRS,phys-bits=host", "SapphireRapids",
    ];

    public static string CorpusCpuInfo(string file) => Corpus.CpuInfo(file);

    public static IReadOnlyList<string> NodeCpuInfoPaths => NodeCpuInfoFiles.Select(CorpusCpuInfo).ToList();

    /// <summary>/proc/cpuinfo of a <paramref name="threads"/>-thread host: the first processor block of a real Xeon repeated with its processor number.</summary>
    public static string CpuInfoOfHost(int threads, string file = "intel-xeon-platinum-8260m-cascadelake.txt")
    {
        var text = File.ReadAllText(CorpusCpuInfo(file)).Replace("\r\n", "\n", StringComparison.Ordinal);
        var end = text.IndexOf("\n\n", StringComparison.Ordinal);
        var block = end < 0 ? text.TrimEnd('\n') : text[..end];
        var firstNewline = block.IndexOf('\n', StringComparison.Ordinal);
        var body = block[(firstNewline + 1)..];
        var sb = new StringBuilder((block.Length + 8) * threads);
        for (var i = 0; i < threads; i++)
        {
            sb.Append("processor\t: ").Append(i.ToString(CultureInfo.InvariantCulture)).Append('\n').Append(body).Append("\n\n");
        }

        return sb.ToString();
    }

    /// <summary>corosync.conf of <paramref name="nodes"/> nodes with two links each, as Proxmox writes it.</summary>
    public static string CorosyncOf(int nodes)
    {
        var sb = new StringBuilder("logging {\n  debug: off\n  to_syslog: yes\n}\n\nnodelist {\n");
        for (var n = 1; n <= nodes; n++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  node {{\n    name: pve{n:00}\n    nodeid: {n}\n    quorum_votes: 1\n    ring0_addr: 10.20.{n / 250}.{n % 250 + 1}\n    ring1_addr: 10.30.{n / 250}.{n % 250 + 1}\n  }}\n");
        }

        return sb.Append("}\n\nquorum {\n  provider: corosync_votequorum\n}\n\ntotem {\n  cluster_name: scale\n  config_version: 64\n")
            .Append("  interface {\n    linknumber: 0\n  }\n  interface {\n    linknumber: 1\n  }\n  ip_version: ipv4-6\n  link_mode: passive\n  secauth: on\n  version: 2\n}\n")
            .ToString();
    }

    /// <summary>
    /// <paramref name="count"/> VM configs: the lab cluster's configs in turn (snapshots, [PENDING], args, descriptions),
    /// each with its cpu line replaced by one of <see cref="CpuLines"/> and its own name.
    /// </summary>
    public static IReadOnlyList<(int VmId, string Text)> VmConfigs(int count)
    {
        var templates = Directory.EnumerateFiles(RepoPaths.LabCluster, "*.conf", SearchOption.AllDirectories)
            .Where(p => p.Contains("qemu-server", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(File.ReadAllText)
            .ToList();
        var result = new List<(int, string)>(count);
        for (var i = 0; i < count; i++)
        {
            var vmid = 1000 + i;
            var cpu = CpuLines[i % CpuLines.Length];
            var lines = templates[i % templates.Count].Split('\n');
            var sb = new StringBuilder();
            var inMain = true;
            var cpuWritten = false;
            foreach (var line in lines)
            {
                if (line.StartsWith('['))
                {
                    if (inMain && !cpuWritten && cpu.Length > 0)
                    {
                        sb.Append("cpu: ").Append(cpu).Append('\n');
                        cpuWritten = true;
                    }

                    inMain = false;
                }

                if (inMain && line.StartsWith("cpu:", StringComparison.Ordinal))
                {
                    if (cpu.Length > 0)
                    {
                        sb.Append("cpu: ").Append(cpu).Append('\n');
                    }

                    cpuWritten = true;
                    continue;
                }

                if (inMain && line.StartsWith("name:", StringComparison.Ordinal))
                {
                    sb.Append(CultureInfo.InvariantCulture, $"name: vm{vmid}\n");
                    continue;
                }

                sb.Append(line).Append('\n');
            }

            if (!cpuWritten && cpu.Length > 0)
            {
                sb.Append("cpu: ").Append(cpu).Append('\n');
            }

            result.Add((vmid, sb.ToString().TrimEnd('\n') + "\n"));
        }

        return result;
    }

    /// <summary>Facts of <paramref name="nodes"/> nodes read from the real corpus CPUs.</summary>
    public static IReadOnlyList<NodeFacts> NodeFactsOf(int nodes)
    {
        var cpus = NodeCpuInfoPaths.Select(p => CpuInfoParser.Parse(File.ReadAllText(p), p).GetValueOrThrow()).ToList();
        return Enumerable.Range(1, nodes)
            .Select(n => NodeFacts.Readable($"pve{n:00}", cpus[(n - 1) % cpus.Count], FactsSource.Snapshot))
            .ToList();
    }

    /// <summary><paramref name="count"/> guests spread round-robin over <paramref name="nodes"/> nodes, parsed from <see cref="VmConfigs"/>.</summary>
    public static IReadOnlyList<GuestConfig> GuestsOf(int count, int nodes) =>
        VmConfigs(count)
            .Select((c, i) => VmConfig.Parse(c.Text, $"{c.VmId}.conf").GetValueOrThrow().ToGuest(c.VmId, $"pve{i % nodes + 1:00}", null, $"{c.VmId}.conf"))
            .ToList();

    /// <summary>The lab cluster's cpu-models.conf (the custom-lab-* models the generated configs use).</summary>
    public static CustomCpuModels LabCustomModels()
    {
        var path = Path.Combine(RepoPaths.LabCluster, "virtual-guest", "cpu-models.conf");
        return CustomCpuModels.Parse(File.ReadAllText(path), path).GetValueOrThrow();
    }

    public static ClusterBaseline BaselineOf(IReadOnlyList<NodeFacts> facts) =>
        ClusterBaseline.Compute(facts, CpuCatalog.Default, new GuardPolicy());
}
