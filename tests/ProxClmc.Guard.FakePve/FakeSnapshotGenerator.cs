using System.Globalization;
using System.Text;

namespace ProxClmc.Guard.FakePve;

/// <summary>Writes a large synthetic snapshot folder (for the scale harness): N nodes, M VMs spread round-robin.</summary>
public static class FakeSnapshotGenerator
{
    private static readonly string[] CpuValues =
        ["x86-64-v2-AES", "x86-64-v3", "host", "", "kvm64", "Haswell-noTSX,flags=+aes", "x86-64-v2-AES,flags=+pcid", "max"];

    /// <param name="cpuinfoFiles">Real /proc/cpuinfo files, assigned to nodes in turn.</param>
    public static void Write(string dir, int nodeCount, int vmCount, IReadOnlyList<string> cpuinfoFiles)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodeCount, 1);
        ArgumentOutOfRangeException.ThrowIfZero(cpuinfoFiles.Count);
        Directory.CreateDirectory(dir);
        var corosync = new StringBuilder("nodelist {\n");
        for (var n = 1; n <= nodeCount; n++)
        {
            var node = NodeName(n);
            corosync.Append(CultureInfo.InvariantCulture, $"  node {{\n    name: {node}\n    nodeid: {n}\n    quorum_votes: 1\n    ring0_addr: 10.20.{n / 250}.{n % 250 + 1}\n  }}\n");
            Directory.CreateDirectory(Path.Combine(dir, "nodes", node, "qemu-server"));
            File.Copy(cpuinfoFiles[(n - 1) % cpuinfoFiles.Count], Path.Combine(dir, "nodes", node, "cpuinfo"), overwrite: true);
        }

        corosync.Append("}\n\nquorum {\n  provider: corosync_votequorum\n}\n\ntotem {\n  cluster_name: scale\n  config_version: 1\n  version: 2\n}\n");
        File.WriteAllText(Path.Combine(dir, "corosync.conf"), corosync.ToString());

        for (var i = 0; i < vmCount; i++)
        {
            var vmid = 100 + i;
            var node = NodeName(i % nodeCount + 1);
            var cpu = CpuValues[i % CpuValues.Length];
            var text = new StringBuilder();
            text.Append("boot: order=scsi0\ncores: 2\n");
            if (cpu.Length > 0)
            {
                text.Append("cpu: ").Append(cpu).Append('\n');
            }

            text.Append(CultureInfo.InvariantCulture, $"memory: 2048\nname: vm{vmid}\nscsi0: local-lvm:vm-{vmid}-disk-0,size=16G\ntags: scale;group{i % 10}\n");
            File.WriteAllText(Path.Combine(dir, "nodes", node, "qemu-server", vmid.ToString(CultureInfo.InvariantCulture) + ".conf"), text.ToString());
        }
    }

    private static string NodeName(int n) => "pve" + n.ToString("00", CultureInfo.InvariantCulture);
}
