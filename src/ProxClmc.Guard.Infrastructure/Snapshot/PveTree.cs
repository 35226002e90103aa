using System.Security.Cryptography;
using System.Text;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Core.Parsing;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Infrastructure.Snapshot;

/// <summary>
/// Reads an offline snapshot folder or /etc/pve itself (read-only): corosync.conf, nodes/&lt;node&gt;/qemu-server/*.conf,
/// nodes/&lt;node&gt;/lxc/*.conf, nodes/&lt;node&gt;/cpuinfo (snapshots only), virtual-guest/cpu-models.conf and
/// ha/{resources,groups,rules}.cfg.
/// </summary>
public sealed class PveTree(string root, IFileSystem? fileSystem = null) : IMembershipSource, IGuestSource, INodeFactsSource
{
    // Never through a symlink or into a FIFO inside the tree (a snapshot may come from anyone).
    private readonly IFileSystem _fs = ContainedFileSystem.For(root, fileSystem);

    public string Root { get; } = root;

    public string CorosyncPath => Path.Combine(Root, "corosync.conf");

    public string NodesPath => Path.Combine(Root, "nodes");

    public string CustomModelsPath => Path.Combine(Root, "virtual-guest", "cpu-models.conf");

    public static string CpuInfoPath(string root, string node) => Path.Combine(root, "nodes", node, "cpuinfo");

    /// <summary>The HA manager's files, as in /etc/pve/ha/ (groups.cfg up to PVE 8, rules.cfg from PVE 9).</summary>
    public static readonly IReadOnlyList<string> HaFiles = ["resources.cfg", "groups.cfg", "rules.cfg"];

    public string HaPath(string file) => Path.Combine(Root, "ha", file);

    /// <summary>The HA configuration; a file that is missing is empty, a file that cannot be parsed is an error with its line.</summary>
    public HaConfig ReadHa()
    {
        var ha = HaConfig.Empty;
        foreach (var file in HaFiles)
        {
            var path = HaPath(file);
            if (!_fs.FileExists(path))
            {
                continue;
            }

            var text = ReadText(path);
            var parsed = file switch
            {
                "resources.cfg" => HaConfigParser.ParseResources(text, path),
                "groups.cfg" => HaConfigParser.ParseGroups(text, path),
                _ => HaConfigParser.ParseRules(text, path),
            };
            var part = parsed.GetValueOrThrow();
            ha = ha with
            {
                Resources = [.. ha.Resources, .. part.Resources],
                Groups = [.. ha.Groups, .. part.Groups],
                Rules = [.. ha.Rules, .. part.Rules],
            };
        }

        return ha;
    }

    /// <summary>Fails with a one-line reason when the folder is neither a snapshot nor /etc/pve.</summary>
    public void EnsureExists()
    {
        if (!_fs.DirectoryExists(Root))
        {
            throw new SourceUnavailableException(_fs.FileExists(Root)
                ? $"{Root}: a file, not a folder (expected an offline snapshot folder or /etc/pve)"
                : $"{Root}: no such directory (expected an offline snapshot or /etc/pve)");
        }

        if (!_fs.FileExists(CorosyncPath) && !_fs.DirectoryExists(NodesPath))
        {
            throw new SourceUnavailableException($"{Root}: neither corosync.conf nor nodes/ found: not a snapshot or /etc/pve tree");
        }
    }

    public Task<ClusterMembership> GetMembershipAsync(CancellationToken cancellationToken)
    {
        EnsureExists();
        if (_fs.FileExists(CorosyncPath))
        {
            var result = CorosyncConfig.Parse(ReadText(CorosyncPath), CorosyncPath);
            return Task.FromResult(result.GetValueOrThrow());
        }

        // A standalone node has no corosync.conf; its /etc/pve still has nodes/<name>/.
        var nodes = NodeNames().Select(n => new ClusterNode(n, null, [])).ToList();
        if (nodes.Count == 0)
        {
            throw new SourceUnavailableException($"{Root}: no corosync.conf and no node under nodes/");
        }

        return Task.FromResult(new ClusterMembership(null, nodes, IsStandalone: nodes.Count == 1));
    }

    /// <summary>Node facts from nodes/&lt;node&gt;/cpuinfo; a node without the file is unreadable (say so).</summary>
    public Task<IReadOnlyList<NodeFacts>> GetFactsAsync(ClusterMembership membership, CancellationToken cancellationToken)
    {
        var facts = membership.Nodes.Select(ReadNodeFacts).ToList();
        return Task.FromResult<IReadOnlyList<NodeFacts>>(facts);
    }

    public bool HasCpuInfo(string node) => _fs.FileExists(CpuInfoPath(Root, node));

    public NodeFacts ReadNodeFacts(ClusterNode node)
    {
        var address = node.Addresses.FirstOrDefault() ?? "";
        var path = CpuInfoPath(Root, node.Name);
        if (!IsSafeName(node.Name) || !_fs.FileExists(path))
        {
            return NodeFacts.Unreadable(node.Name, $"no cpuinfo in the snapshot ({Path.Combine("nodes", node.Name, "cpuinfo")})", FactsSource.Snapshot, address);
        }

        try
        {
            var parsed = CpuInfoParser.Parse(_fs.ReadAllText(path, FileLimits.ForCpuInfo), path);
            return parsed.IsSuccess
                ? NodeFacts.Readable(node.Name, parsed.Value, FactsSource.Snapshot, address)
                : NodeFacts.Unreadable(node.Name, parsed.Error.ToString(), FactsSource.Snapshot, address);
        }
        catch (IOException e)
        {
            return NodeFacts.Unreadable(node.Name, e.Message, FactsSource.Snapshot, address);
        }
    }

    public Task<GuestInventory> GetGuestsAsync(CancellationToken cancellationToken)
    {
        EnsureExists();
        var guests = new List<GuestConfig>();
        foreach (var node in NodeNames())
        {
            foreach (var (vmId, path) in ConfigFiles(Path.Combine(NodesPath, node, "qemu-server")))
            {
                guests.Add(ReadVm(vmId, node, path));
            }

            foreach (var (vmId, path) in ConfigFiles(Path.Combine(NodesPath, node, "lxc")))
            {
                guests.Add(ReadContainer(vmId, node, path));
            }
        }

        string? customModels = null;
        if (_fs.FileExists(CustomModelsPath))
        {
            customModels = ReadText(CustomModelsPath);
        }

        return Task.FromResult(new GuestInventory(guests, customModels, CustomModelsPath) { Ha = ReadHa() });
    }

    /// <summary>
    /// Reads one VM's config; a broken or unreadable file gives a guest with <see cref="GuestConfig.ConfigError"/>.
    /// <paramref name="withDigest"/> false leaves <see cref="GuestConfig.Digest"/> null: the hook decides without it, and
    /// the first SHA-1 of a process loads and initialises OpenSSL (more than half the decision's instructions).
    /// </summary>
    public GuestConfig ReadVm(int vmId, string node, string path, bool withDigest = true)
    {
        byte[] bytes;
        try
        {
            bytes = _fs.ReadAllBytes(path, FileLimits.ForPmxcfs);
        }
        catch (IOException e)
        {
            return new GuestConfig { VmId = vmId, Node = node, Origin = path, ConfigError = new ParseError(path, 0, 0, e.Message) };
        }

        var digest = withDigest ? Convert.ToHexStringLower(SHA1.HashData(bytes)) : null;
        var parsed = VmConfig.Parse(Encoding.UTF8.GetString(bytes), path);
        return parsed.IsSuccess
            ? parsed.Value.ToGuest(vmId, node, digest, path)
            : new GuestConfig { VmId = vmId, Node = node, Origin = path, Digest = digest, ConfigError = parsed.Error };
    }

    /// <summary>Finds a VM's config file anywhere in the tree (for the hook and check verbs).</summary>
    public (string Node, string Path)? FindVm(int vmId)
    {
        foreach (var node in NodeNames())
        {
            var path = Path.Combine(NodesPath, node, "qemu-server", $"{vmId}.conf");
            if (_fs.FileExists(path))
            {
                return (node, path);
            }
        }

        return null;
    }

    private GuestConfig ReadContainer(int vmId, string node, string path)
    {
        string? name = null;
        try
        {
            foreach (var line in _fs.ReadAllText(path, FileLimits.ForPmxcfs).Split('\n'))
            {
                if (line.StartsWith("hostname:", StringComparison.Ordinal))
                {
                    name = line["hostname:".Length..].Trim();
                    break;
                }

                if (line.StartsWith('['))
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // Containers have no CPU model; an unreadable one is still listed as not applicable.
        }

        return new GuestConfig { VmId = vmId, Node = node, Name = name, Type = GuestType.Lxc, Origin = path };
    }

    /// <summary>The node folders under nodes/ (every node of the cluster has one in pmxcfs).</summary>
    public IReadOnlyList<string> ListNodes() => NodeNames().ToList();

    private IEnumerable<string> NodeNames() =>
        _fs.EnumerateDirectories(NodesPath).Select(Path.GetFileName).OfType<string>().Where(IsSafeName);

    private IEnumerable<(int VmId, string Path)> ConfigFiles(string directory)
    {
        foreach (var path in _fs.EnumerateFiles(directory, "*.conf"))
        {
            var stem = Path.GetFileNameWithoutExtension(path);
            if (stem.Length is > 0 and <= 9 && stem.All(char.IsAsciiDigit) && int.TryParse(stem, out var vmId) && vmId >= 100)
            {
                yield return (vmId, path);
            }
        }
    }

    private string ReadText(string path)
    {
        try
        {
            return _fs.ReadAllText(path, FileLimits.ForPmxcfs);
        }
        catch (IOException e)
        {
            throw new SourceUnavailableException(e.Message, e);
        }
    }

    /// <summary>Node names become path segments: never let one climb out of the tree.</summary>
    private static bool IsSafeName(string name) =>
        name.Length > 0 && name != "." && name != ".." && !name.Contains('/') && !name.Contains('\0');
}
