using System.Text;
using System.Text.Json;

namespace ProxClmc.Guard.Snapshots;

/// <summary>Why a node's cpuinfo is (or is not) in the snapshot, as the manifest reports it.</summary>
public sealed record SnapshotNode(string Name, string Source, string? Address, string? Error, bool Synthesized = false);

/// <summary>
/// The output folder of <c>snapshot --out</c>: created fresh or empty, and nothing is ever written outside it,
/// because node names and VM ids from corosync.conf or the API become path segments here.
/// </summary>
public sealed class SnapshotFolder
{
    private SnapshotFolder(string root) => Root = root;

    public string Root { get; }

    /// <summary>Creates the folder (and its parents); refuses an existing non-empty folder or a file in its place.</summary>
    public static SnapshotFolder Prepare(string path)
    {
        var root = Path.GetFullPath(path);
        if (File.Exists(root))
        {
            throw new Cli.UsageException($"{path}: is a file; snapshot --out needs a new or empty folder");
        }

        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            throw new Cli.UsageException($"{path}: the folder is not empty; snapshot --out writes only into a new or empty folder");
        }

        if (!Directory.Exists(root))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(root) ?? root);
            // VM configs can hold cloud-init users and hashed passwords; pmxcfs shows them to root (and www-data) only.
            Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return new SnapshotFolder(root);
    }

    /// <summary>A node name is safe as one path segment: what corosync and pmxcfs allow, never '/', '..' or a control character.</summary>
    public static bool IsSafeNodeName(string name) =>
        name.Length is > 0 and <= 255 && name != "." && name != ".." && !name.StartsWith('.')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    public void WriteCorosync(ReadOnlySpan<byte> bytes) => Write(bytes, "corosync.conf");

    public void WriteCustomModels(ReadOnlySpan<byte> bytes) => Write(bytes, "virtual-guest", "cpu-models.conf");

    public void WriteCpuInfo(string node, ReadOnlySpan<byte> bytes) => Write(bytes, "nodes", CheckNode(node), "cpuinfo");

    /// <summary>nodes/&lt;node&gt;/proxclmc-guard/facts.json: the node's published facts, where pmxcfs keeps them.</summary>
    public void WritePublishedFacts(string node, ReadOnlySpan<byte> bytes) => Write(bytes, "nodes", CheckNode(node), "proxclmc-guard", "facts.json");

    public void WriteVmConfig(string node, int vmId, ReadOnlySpan<byte> bytes) => Write(bytes, "nodes", CheckNode(node), "qemu-server", CheckVmId(vmId));

    public void WriteContainerConfig(string node, int vmId, ReadOnlySpan<byte> bytes) => Write(bytes, "nodes", CheckNode(node), "lxc", CheckVmId(vmId));

    /// <summary>manifest.json: when, which tool, which sources, and every node with where its cpuinfo came from or why it is missing.</summary>
    public void WriteManifest(DateTimeOffset time, IReadOnlyList<string> sources, IReadOnlyList<SnapshotNode> nodes, IReadOnlyList<string> guestFailures)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 1);
            json.WriteString("time", time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("tool", "proxclmc-guard");
            json.WriteString("toolVersion", VersionInfo.Version);
            json.WriteStartArray("sources");
            foreach (var source in sources)
            {
                json.WriteStringValue(source);
            }

            json.WriteEndArray();
            json.WriteStartArray("nodes");
            foreach (var node in nodes)
            {
                json.WriteStartObject();
                json.WriteString("name", node.Name);
                json.WriteString("cpuinfoSource", node.Source);
                if (node.Address is { Length: > 0 } address)
                {
                    json.WriteString("address", address);
                }

                json.WriteBoolean("cpuinfoSynthesized", node.Synthesized);
                json.WriteBoolean("ok", node.Error is null);
                if (node.Error is { } error)
                {
                    json.WriteString("error", error);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("failedNodes");
            foreach (var node in nodes.Where(n => n.Error is not null))
            {
                json.WriteStartObject();
                json.WriteString("name", node.Name);
                json.WriteString("reason", node.Error);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("failedGuests");
            foreach (var failure in guestFailures)
            {
                json.WriteStringValue(failure);
            }

            json.WriteEndArray();
            if (nodes.Any(n => n.Synthesized))
            {
                json.WriteString(
                    "note",
                    "cpuinfo of nodes marked cpuinfoSynthesized was synthesized from the Proxmox API's node status (model name and flags only): " +
                    "no family/model/stepping, bugs or address sizes");
            }

            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        Write(buffer.ToArray(), "manifest.json");
    }

    private static string CheckNode(string node) =>
        IsSafeNodeName(node) ? node : throw new SnapshotPathException($"node name '{Printable(node)}' cannot be a folder name (it contains '/', '..' or other characters a Proxmox node name never has)");

    private static string CheckVmId(int vmId) =>
        vmId is >= 100 and <= 999_999_999 ? $"{vmId}.conf" : throw new SnapshotPathException($"VM id {vmId} is outside Proxmox's range 100-999999999");

    private static string Printable(string text) => string.Concat(text.Select(c => char.IsControl(c) ? '?' : c));

    private void Write(ReadOnlySpan<byte> bytes, params string[] segments)
    {
        var path = Path.GetFullPath(Path.Combine([Root, .. segments]));
        // Belt and braces: the checks above already keep every segment inside the folder.
        if (!path.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new SnapshotPathException($"{path}: outside {Root}");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        stream.Write(bytes);
    }
}

/// <summary>A name from the cluster that cannot safely become a path in the snapshot folder.</summary>
public sealed class SnapshotPathException(string message) : Exception(message);

/// <summary>Text in the snapshot's files: UTF-8 without BOM and '\n' line ends, like pmxcfs.</summary>
internal static class SnapshotText
{
    public static byte[] Bytes(string text) => new UTF8Encoding(false).GetBytes(text);
}
