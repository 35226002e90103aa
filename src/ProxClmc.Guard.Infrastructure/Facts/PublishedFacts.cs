using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Facts;
using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Infrastructure.Facts;

/// <summary>
/// Each node's own facts in pmxcfs: <c>&lt;pve_root&gt;/nodes/&lt;node&gt;/proxclmc-guard/facts.json</c>, written by
/// <c>facts --publish</c> on that node and replicated by pmxcfs, so any node reads every node's QEMU answer without SSH.
/// A snapshot carries the same file at the same place.
/// </summary>
public static class PublishedFacts
{
    public const string FolderName = "proxclmc-guard";
    public const string FileName = "facts.json";

    public static string PathFor(string root, string node) => Path.Combine(root, "nodes", node, FolderName, FileName);

    /// <summary>Node names become path segments: never one that climbs out of the tree.</summary>
    public static bool IsSafeNodeName(string name) =>
        name.Length is > 0 and <= 255 && name != "." && name != ".." && !name.Contains('/') && !name.Contains('\0');

    public static bool Exists(IFileSystem fs, string root, string node) => IsSafeNodeName(node) && fs.FileExists(PathFor(root, node));

    /// <summary>
    /// Writes the facts atomically (a reader sees the old file or the new one). Creates only its own
    /// <c>proxclmc-guard</c> folder: the node's folder must already exist (pmxcfs makes it when the node joins).
    /// </summary>
    public static async Task<string> PublishAsync(string root, NodeFactsDocument facts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(facts);
        if (!IsSafeNodeName(facts.Node))
        {
            throw new IOException($"node name '{facts.Node}' cannot be a folder name under {root}/nodes");
        }

        var nodeDir = Path.Combine(root, "nodes", facts.Node);
        if (!Directory.Exists(nodeDir))
        {
            throw new IOException($"{nodeDir}: no such directory (is {root} this cluster's pmxcfs, and {facts.Node} this node's name?); nothing written");
        }

        var folder = Path.Combine(nodeDir, FolderName);
        if (new DirectoryInfo(folder).LinkTarget is not null || File.Exists(folder))
        {
            throw new IOException($"{folder}: not a plain folder; nothing written");
        }

        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder);
        }

        var path = Path.Combine(folder, FileName);
        await AtomicFile.WriteAllTextAsync(path, facts.ToJson(), cancellationToken).ConfigureAwait(false);
        return path;
    }

    /// <summary>The published document of a node, or null with the reason (missing, unreadable, not for this node).</summary>
    public static NodeFactsDocument? TryReadDocument(IFileSystem fs, string root, string node, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(fs);
        problem = null;
        if (!IsSafeNodeName(node))
        {
            problem = "unsafe node name";
            return null;
        }

        var path = PathFor(root, node);
        if (!fs.FileExists(path))
        {
            problem = $"no {Path.Combine("nodes", node, FolderName, FileName)}";
            return null;
        }

        try
        {
            var parsed = NodeFactsDocument.Parse(fs.ReadAllText(path, NodeFactsDocument.MaxBytes), path);
            if (!parsed.IsSuccess)
            {
                problem = parsed.Error.ToString();
                return null;
            }

            if (!string.Equals(parsed.Value.Node, node, StringComparison.Ordinal))
            {
                problem = $"{path}: facts of node '{parsed.Value.Node}', not {node}";
                return null;
            }

            return parsed.Value;
        }
        catch (IOException e)
        {
            problem = $"{path}: {e.Message}";
            return null;
        }
        catch (UnauthorizedAccessException e)
        {
            problem = $"{path}: {e.Message}";
            return null;
        }
    }

    /// <summary>
    /// A node's published facts as <see cref="NodeFacts"/>, when present, readable and fresh (collected no longer than
    /// <paramref name="maxAge"/> before <paramref name="now"/>; null: any age, as in a snapshot).
    /// </summary>
    public static NodeFacts? TryRead(IFileSystem fs, string root, ClusterNode node, DateTimeOffset now, TimeSpan? maxAge, FactsSource source, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(node);
        var document = TryReadDocument(fs, root, node.Name, out problem);
        if (document is null)
        {
            return null;
        }

        if (maxAge is { } age && (now - document.CollectedAt > age || document.CollectedAt - now > TimeSpan.FromMinutes(5)))
        {
            problem = $"published facts of {node.Name} are from {document.CollectedAt:u}, older than facts.max_age_seconds ({age.TotalSeconds:0})";
            return null;
        }

        return ToNodeFacts(document, node.Addresses.FirstOrDefault() ?? "", source, out problem);
    }

    /// <summary>The document as node facts: its cpuinfo parsed, its QEMU answer attached.</summary>
    public static NodeFacts? ToNodeFacts(NodeFactsDocument document, string address, FactsSource source, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(document);
        var origin = $"{Path.Combine("nodes", document.Node, FolderName, FileName)}: cpuinfo";
        var cpu = CpuInfoParser.Parse(document.CpuInfo, origin);
        if (!cpu.IsSuccess)
        {
            problem = cpu.Error.ToString();
            return null;
        }

        problem = null;
        // The kernel and microcode the node read itself, so that a change of either shows beside the flags it moved.
        var cpuInfo = cpu.Value.Microcode is null && document.Microcode.Length is > 0 and <= 64 ? cpu.Value with { Microcode = document.Microcode } : cpu.Value;
        return NodeFacts.Readable(document.Node, cpuInfo, source, address, document.CollectedAt) with
        {
            Qemu = document.Qemu,
            Kernel = document.Kernel.Length is > 0 and <= 256 ? document.Kernel : null,
        };
    }
}
