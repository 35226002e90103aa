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
    public static async Task<string> PublishAsync(string root, NodeFactsDocument facts, CancellationToken cancellationToken, string? ownWriteFile = null)
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
        var text = facts.ToJson();
        await AtomicFile.WriteAllTextAsync(path, text, cancellationToken).ConfigureAwait(false);
        RememberOwnWrite(ownWriteFile, text);
        return path;
    }

    /// <summary>
    /// Where this node keeps the hash of the document it last published (root-only, beside <c>facts.cache_file</c>):
    /// any root of any node can write this node's folder in pmxcfs, so the copy there is this node's own reading only
    /// when it is byte for byte what this node wrote. Null when no cache file is configured.
    /// </summary>
    public static string? OwnWritePath(string? cacheFile) =>
        cacheFile is { Length: > 0 } ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(cacheFile))!, "published-facts.sha256") : null;

    /// <summary>One freshness rule for every published document: not older than <paramref name="maxAge"/>, not more than 5 minutes ahead.</summary>
    public static bool IsFresh(DateTimeOffset collectedAt, DateTimeOffset now, TimeSpan maxAge) =>
        now - collectedAt <= maxAge && collectedAt - now <= MaxClockSkew;

    /// <summary>How far a node's clock may run ahead of ours before its document counts as dated in the future.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>True when the node's published document is exactly what this node last wrote (<see cref="OwnWritePath"/>).</summary>
    public static bool IsOwnWrite(IFileSystem fs, string root, string node, string? ownWriteFile)
    {
        ArgumentNullException.ThrowIfNull(fs);
        if (ownWriteFile is null || !IsSafeNodeName(node))
        {
            return false;
        }

        try
        {
            var path = PathFor(root, node);
            if (!fs.FileExists(path) || !fs.FileExists(ownWriteFile))
            {
                return false;
            }

            var remembered = fs.ReadAllText(ownWriteFile, 256).Trim();
            var published = Hash(fs.ReadAllText(path, NodeFactsDocument.MaxBytes));
            return string.Equals(remembered, published, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void RememberOwnWrite(string? ownWriteFile, string text)
    {
        if (ownWriteFile is null)
        {
            return;
        }

        try
        {
            AtomicFile.WriteAllBytes(ownWriteFile, System.Text.Encoding.UTF8.GetBytes(Hash(text) + "\n"), AtomicFile.Mode0600, durable: false);
        }
        catch (DirectoryNotFoundException)
        {
            // No state folder (not installed by the package): nothing remembered, so the copy in pmxcfs is never
            // taken for this node's own reading; it reads itself instead.
        }
    }

    private static string Hash(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

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

        if (maxAge is { } age && !IsFresh(document.CollectedAt, now, age))
        {
            problem = document.CollectedAt - now > MaxClockSkew
                ? $"published facts of {node.Name} are dated {document.CollectedAt:u}, in the future"
                : $"published facts of {node.Name} are from {document.CollectedAt:u}, older than facts.max_age_seconds ({age.TotalSeconds:0})";
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
        // A peer's QEMU answer may refuse what its cpuinfo allows, never allow a flag its own cpuinfo lacks.
        var cpuInfo = cpu.Value.Microcode is null && document.Microcode.Length is > 0 and <= 64 ? cpu.Value with { Microcode = document.Microcode } : cpu.Value;
        return NodeFacts.Readable(document.Node, cpuInfo, source, address, document.CollectedAt) with
        {
            Qemu = document.Qemu,
            QemuCappedByCpuInfo = true,
            Kernel = document.Kernel.Length is > 0 and <= 256 ? document.Kernel : null,
        };
    }
}
