using System.Globalization;

namespace ProxClmc.Guard.FakePve;

internal sealed class FakeNode
{
    public required string Name { get; init; }

    public int NodeId { get; init; }

    public string Ip { get; init; } = "127.0.0.1";

    public string? CpuInfoText { get; init; }

    public bool Offline { get; set; }

    /// <summary>Drops packets: corosync has not noticed yet, proxied requests hang before the 595.</summary>
    public bool Slow { get; set; }

    /// <summary>
    /// What pvestatd broadcast as the node's <c>cpuflags-kvm</c> (QEMU names, Proxmox-normalised): the node's published
    /// facts' <c>qemu.hostFeatures</c> when the snapshot carries them, else as <c>fake-pve.state</c> says; null when
    /// nothing was broadcast (then the node is in no flag's <c>supported-on</c>).
    /// </summary>
    public IReadOnlyList<string>? KvmFlags { get; set; }
}

internal sealed class FakeGuest
{
    public required int VmId { get; init; }

    public required string Node { get; set; }

    public required string Type { get; init; }

    public required RawVmConfig Config { get; init; }

    /// <summary>stopped, running or paused (a paused VM is "running" to Proxmox, with qmpstatus "paused").</summary>
    public required string Status { get; set; }

    public string? Pool { get; set; }

    /// <summary>The HA manager's state of the guest (ha/resources.cfg <c>state</c>, default "started"), null when not an HA resource.</summary>
    public string? HaState { get; set; }

    public bool IsRunning => Status is "running" or "paused";
}

/// <summary>
/// A cluster read once from a snapshot folder into memory. The folder is never written: changes made through the
/// API live only as long as the fake does.
/// </summary>
internal sealed class FakeCluster
{
    public string ClusterName { get; private set; } = "fake";

    public List<FakeNode> Nodes { get; } = [];

    public SortedDictionary<int, FakeGuest> Guests { get; } = [];

    public string? CpuModelsConf { get; set; }

    /// <summary>No corosync.conf: a node never joined to a cluster (no cluster entry in /cluster/status, nodeid 0).</summary>
    public bool IsStandalone { get; private set; }

    public static FakeCluster Load(string dir)
    {
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"snapshot folder {dir} does not exist");
        }

        var cluster = new FakeCluster();
        var corosync = Path.Combine(dir, "corosync.conf");
        var members = File.Exists(corosync) ? ParseCorosync(File.ReadAllText(corosync), cluster) : [];
        cluster.IsStandalone = !File.Exists(corosync);
        var nodesDir = Path.Combine(dir, "nodes");
        var nodeDirs = Directory.Exists(nodesDir)
            ? Directory.GetDirectories(nodesDir).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];
        foreach (var name in nodeDirs.Where(n => members.All(m => m.Name != n)))
        {
            members.Add((name, cluster.IsStandalone ? 0 : members.Count + 1, "127.0.0.1"));
        }

        foreach (var (name, id, ip) in members)
        {
            var cpuinfo = Path.Combine(nodesDir, name, "cpuinfo");
            var published = Path.Combine(nodesDir, name, "proxclmc-guard", "facts.json");
            cluster.Nodes.Add(new FakeNode
            {
                Name = name,
                NodeId = id,
                Ip = ip,
                CpuInfoText = File.Exists(cpuinfo) ? File.ReadAllText(cpuinfo) : null,
                KvmFlags = File.Exists(published) ? FakeCpuFlags.FromPublishedFacts(File.ReadAllText(published)) : null,
            });
            foreach (var (type, sub) in new[] { ("qemu", "qemu-server"), ("lxc", "lxc") })
            {
                var guestDir = Path.Combine(nodesDir, name, sub);
                if (!Directory.Exists(guestDir))
                {
                    continue;
                }

                foreach (var file in Directory.GetFiles(guestDir, "*.conf"))
                {
                    if (!int.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var vmid))
                    {
                        continue;
                    }

                    var config = new RawVmConfig(File.ReadAllText(file));
                    cluster.Guests[vmid] = new FakeGuest { VmId = vmid, Node = name, Type = type, Config = config, Status = DefaultStatus(config) };
                }
            }
        }

        var models = Path.Combine(dir, "virtual-guest", "cpu-models.conf");
        cluster.CpuModelsConf = File.Exists(models) ? File.ReadAllText(models) : null;

        var haResources = Path.Combine(dir, "ha", "resources.cfg");
        if (File.Exists(haResources))
        {
            cluster.ApplyHaResources(File.ReadAllLines(haResources));
        }

        var state = Path.Combine(dir, "fake-pve.state");
        if (File.Exists(state))
        {
            cluster.ApplyState(File.ReadAllLines(state), state);
        }

        return cluster;
    }

    /// <summary>Templates and hibernated VMs (<c>lock: suspended</c>) are stopped; every other guest runs.</summary>
    private static string DefaultStatus(RawVmConfig config) =>
        config.Get("", "template") == "1" || config.Get("", "lock") == "suspended" ? "stopped" : "running";

    private void ApplyState(string[] lines, string path)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            var words = lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0 || words[0].StartsWith('#'))
            {
                continue;
            }

            if (words is ["vm", var id, var status] && int.TryParse(id, CultureInfo.InvariantCulture, out var vmid) && Guests.TryGetValue(vmid, out var guest))
            {
                guest.Status = status;
            }
            else if (words is ["vm", var pid, "pool", var pool] && int.TryParse(pid, CultureInfo.InvariantCulture, out var pvmid) && Guests.TryGetValue(pvmid, out var pooled))
            {
                pooled.Pool = pool;
            }
            else if (words is ["node", var name, "offline" or "offline-slow"] && Nodes.FirstOrDefault(n => n.Name == name) is { } node)
            {
                node.Offline = true;
                node.Slow = words[2] == "offline-slow";
            }
            else if (words is ["node", var kname, "kvm-flags", "none"] && Nodes.FirstOrDefault(n => n.Name == kname) is { } silent)
            {
                silent.KvmFlags = null;
            }
            else if (words is ["node", var cname, "kvm-flags", "cpuinfo", ..] && Nodes.FirstOrDefault(n => n.Name == cname) is { CpuInfoText: { } text } masked
                     && words.Skip(4).All(w => w.Length > 1 && w[0] == '-'))
            {
                masked.KvmFlags = FakeCpuFlags.FromCpuInfo(text, words.Skip(4).Select(w => w[1..]));
            }
            else
            {
                throw new FormatException($"{path}:{i + 1}: expected \"vm <vmid> <status>\", \"node <name> offline\" or \"node <name> kvm-flags none|cpuinfo [-flag...]\"");
            }
        }
    }

    /// <summary>ha/resources.cfg: <c>vm: &lt;vmid&gt;</c> sections with an optional <c>state</c> line (default started).</summary>
    private void ApplyHaResources(string[] lines)
    {
        FakeGuest? current = null;
        foreach (var line in lines)
        {
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                current = trimmed.Length == 0 ? null : current;
                continue;
            }

            if (!char.IsWhiteSpace(line[0]))
            {
                var parts = trimmed.Split(':', 2);
                current = parts.Length == 2 && parts[0] is "vm" or "ct" && int.TryParse(parts[1].Trim(), CultureInfo.InvariantCulture, out var id) && Guests.TryGetValue(id, out var g) ? g : null;
                if (current is not null)
                {
                    current.HaState = "started";
                }
            }
            else if (current is not null && trimmed.StartsWith("state ", StringComparison.Ordinal))
            {
                current.HaState = trimmed["state ".Length..].Trim();
            }
        }
    }

    /// <summary>Just enough of corosync.conf: the cluster name and each node's name, nodeid and first link address.</summary>
    private static List<(string Name, int Id, string Ip)> ParseCorosync(string text, FakeCluster cluster)
    {
        var tokens = new List<string>();
        foreach (var line in text.Split('\n'))
        {
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            tokens.AddRange((hash >= 0 ? line[..hash] : line).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        }

        var result = new List<(string, int, string)>();
        var stack = new Stack<string>();
        Dictionary<string, string>? node = null;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (i + 1 < tokens.Count && tokens[i + 1] == "{")
            {
                stack.Push(token);
                if (token == "node")
                {
                    node = [];
                }

                i++;
            }
            else if (token == "}")
            {
                if (stack.Count > 0 && stack.Pop() == "node" && node is not null)
                {
                    var addr = node.GetValueOrDefault("ring0_addr") ?? node.GetValueOrDefault("link0_addr") ?? "127.0.0.1";
                    var id = int.TryParse(node.GetValueOrDefault("nodeid"), CultureInfo.InvariantCulture, out var n) ? n : result.Count + 1;
                    result.Add((node.GetValueOrDefault("name") ?? addr, id, addr));
                    node = null;
                }
            }
            else if (token.EndsWith(':') && i + 1 < tokens.Count)
            {
                var key = token[..^1];
                var value = tokens[++i];
                if (node is not null)
                {
                    node[key] = value;
                }
                else if (key == "cluster_name")
                {
                    cluster.ClusterName = value;
                }
            }
        }

        return result;
    }

    /// <summary>First processor's <c>model name</c> and <c>flags</c>, processor and socket counts, as pvestatd reads them.</summary>
    public static (string? Model, string? Flags, int Cpus, int Sockets) ReadCpuInfo(string text)
    {
        string? model = null, flags = null;
        var cpus = 0;
        var sockets = new HashSet<string>();
        foreach (var line in text.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "processor":
                    cpus++;
                    break;
                case "model name":
                    model ??= value;
                    break;
                case "flags":
                    flags ??= value;
                    break;
                case "physical id":
                    sockets.Add(value);
                    break;
            }
        }

        return (model, flags, Math.Max(cpus, 1), Math.Max(sockets.Count, 1));
    }

    /// <summary>The first <c>vendor_id</c> and <c>cpu family</c>, as pve-common's read_cpuinfo returns them (9.1.6+).</summary>
    public static (string? Vendor, int? Family) ReadVendorFamily(string text)
    {
        string? vendor = null;
        int? family = null;
        foreach (var line in text.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (key == "vendor_id")
            {
                vendor ??= value;
            }
            else if (key == "cpu family" && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var f))
            {
                family ??= f;
            }
        }

        return (vendor, family);
    }

    /// <summary>cpu-models.conf sections as key/value lists (the shape of /cluster/qemu/custom-cpu-models).</summary>
    public static List<(string Name, List<KeyValuePair<string, string>> Properties)> ParseCpuModels(string text)
    {
        var result = new List<(string, List<KeyValuePair<string, string>>)>();
        List<KeyValuePair<string, string>>? current = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            if (line.Trim().Length == 0)
            {
                current = null;
                continue;
            }

            if (line.StartsWith("cpu-model:", StringComparison.Ordinal))
            {
                current = [];
                result.Add((line["cpu-model:".Length..].Trim(), current));
                continue;
            }

            if (current is not null && char.IsWhiteSpace(line[0]))
            {
                var parts = line.Trim().Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
                current.Add(new(parts[0], parts.Length > 1 ? parts[1] : ""));
            }
        }

        return result;
    }

    /// <summary>QEMU's spelling of a cpuinfo flag (sse4_2 is sse4.2, lahf_lm is lahf-lm).</summary>
    public static string QemuFlagName(string cpuinfoFlag) => cpuinfoFlag switch
    {
        "sse4_1" => "sse4.1",
        "sse4_2" => "sse4.2",
        _ => cpuinfoFlag.Replace('_', '-'),
    };
}
