using Microsoft.Win32.SafeHandles;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Application.Snapshot;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Infrastructure.Snapshot;

namespace ProxClmc.Guard.Composition;

/// <summary>
/// The output folder of <c>snapshot --out</c>: created fresh or empty, and nothing is ever written outside it,
/// because node names and VM ids from corosync.conf or the API become path segments here.
/// </summary>
internal sealed class SnapshotFolder : ISnapshotFolder
{
    private const UnixFileMode Mode0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly SafeFileHandle? _handle;

    private SnapshotFolder(string root, SafeFileHandle? handle)
    {
        Root = root;
        _handle = handle;
    }

    public string Root { get; }

    /// <summary>This run made the folder (it did not exist before).</summary>
    public bool Created { get; private init; }

    public void Dispose() => _handle?.Dispose();

    /// <summary>
    /// A snapshot that failed before its manifest was written leaves nothing behind: the folder goes again when this
    /// run made it (an existing empty folder stays, emptied).
    /// </summary>
    public void Discard()
    {
        try
        {
            if (Created)
            {
                Directory.Delete(Root, recursive: true);
                return;
            }

            foreach (var entry in new DirectoryInfo(Root).EnumerateFileSystemInfos())
            {
                if (entry is DirectoryInfo { LinkTarget: null } folder)
                {
                    folder.Delete(recursive: true);
                }
                else
                {
                    entry.Delete();
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The run's own error is what the user needs to read; a leftover is named by the next --out refusal.
        }
    }

    /// <summary>
    /// Creates the folder (mode 0700, whatever the umask) or takes an existing empty one that is a real folder (not a
    /// symlink), owned by the caller and with mode 0700: VM configs hold cloud-init users and password hashes, and a
    /// folder someone else can write lets them plant a <c>nodes</c> symlink that sends root's writes elsewhere. The
    /// folder is opened once; every file is written relative to that handle.
    /// </summary>
    public static SnapshotFolder Prepare(string path) => Cli.IoErrors.AtUserPath("--out", path, () => PrepareFolder(path));

    private static SnapshotFolder PrepareFolder(string path)
    {
        var root = Path.GetFullPath(path).TrimEnd('/');
        if (!Posix.IsSupported)
        {
            return PrepareByPath(path, root);
        }

        var parent = Path.GetDirectoryName(root) ?? throw new Cli.UsageException($"{path}: snapshot --out needs a folder below /");
        var name = Path.GetFileName(root);
        var existing = Posix.LStat(root);
        if (existing is { IsSymlink: true })
        {
            throw new Cli.UsageException($"{path}: is a symbolic link; snapshot --out needs a new folder, or an empty one owned by you with mode 0700");
        }

        if (existing is { IsDirectory: false })
        {
            throw new Cli.UsageException($"{path}: is a {existing.Value.TypeName}; snapshot --out needs a new or empty folder");
        }

        Directory.CreateDirectory(parent);
        SafeFileHandle handle;
        bool created;
        using (var parentHandle = Posix.OpenDirectory(parent))
        {
            created = Posix.MakeDirectoryAt(parentHandle, name, Mode0700, root);
            handle = Posix.OpenDirectoryAt(parentHandle, name, root);
            if (created)
            {
                Posix.SetMode(handle, Mode0700, root);
            }
        }

        try
        {
            if (Directory.EnumerateFileSystemEntries(root).Any())
            {
                throw new Cli.UsageException($"{path}: the folder is not empty; snapshot --out writes only into a new or empty folder");
            }

            var status = Posix.Stat(handle, root);
            var me = Posix.EffectiveUserId;
            if (status.Uid != me)
            {
                throw new Cli.UsageException($"{path}: owned by uid {status.Uid}, not by you (uid {me}); snapshot --out needs a new folder, or an empty one owned by you with mode 0700");
            }

            if ((status.Permissions & 0x1FF) != 0x1C0)
            {
                throw new Cli.UsageException($"{path}: has mode {status.OctalPermissions}; an existing folder for snapshot --out must have mode 0700 (VM configs hold secrets): chmod 700 {path}");
            }

            return new SnapshotFolder(root, handle) { Created = created };
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static SnapshotFolder PrepareByPath(string path, string root)
    {
        if (File.Exists(root))
        {
            throw new Cli.UsageException($"{path}: is a file; snapshot --out needs a new or empty folder");
        }

        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            throw new Cli.UsageException($"{path}: the folder is not empty; snapshot --out writes only into a new or empty folder");
        }

        var created = !Directory.Exists(root);
        Directory.CreateDirectory(root);
        return new SnapshotFolder(root, null) { Created = created };
    }

    public void WriteCorosync(ReadOnlySpan<byte> bytes) => Write(bytes, "corosync.conf");

    public void WriteCustomModels(ReadOnlySpan<byte> bytes) => Write(bytes, "virtual-guest", "cpu-models.conf");

    /// <summary>ha/resources.cfg, groups.cfg or rules.cfg (the names are fixed, never taken from input).</summary>
    public void WriteHa(string file, ReadOnlySpan<byte> bytes) =>
        Write(bytes, "ha", PveTree.HaFiles.Contains(file) ? file : throw new ArgumentException($"not an HA file: {file}", nameof(file)));

    public void WriteCpuInfo(string node, ReadOnlySpan<byte> bytes) => Write(bytes, "nodes", CheckNode(node), "cpuinfo");

    /// <summary>nodes/&lt;node&gt;/proxclmc-guard/facts.json: the node's published facts, where pmxcfs keeps them.</summary>
    public void WritePublishedFacts(string node, ReadOnlySpan<byte> bytes) => Write(bytes, "nodes", CheckNode(node), "proxclmc-guard", "facts.json");

    public void WriteVmConfig(string node, int vmId, ReadOnlySpan<byte> bytes) => Write(bytes, "nodes", CheckNode(node), "qemu-server", CheckVmId(vmId));

    public void WriteContainerConfig(string node, int vmId, ReadOnlySpan<byte> bytes) => Write(bytes, "nodes", CheckNode(node), "lxc", CheckVmId(vmId));

    /// <summary>manifest.json, as <see cref="SnapshotManifest"/> renders it.</summary>
    public void WriteManifest(ReadOnlySpan<byte> bytes) => Write(bytes, "manifest.json");

    private static string CheckNode(string node) =>
        ProxmoxGrammar.IsSafeNodeName(node) ? node : throw new SnapshotPathException($"node name '{Printable(node)}' cannot be a folder name (it contains '/', '..' or other characters a Proxmox node name never has)");

    private static string CheckVmId(int vmId) =>
        vmId is >= 100 and <= 999_999_999 ? $"{vmId}.conf" : throw new SnapshotPathException($"VM id {vmId} is outside Proxmox's range 100-999999999");

    private static string Printable(string text) => string.Concat(text.Select(c => char.IsControl(c) ? '?' : c));

    private void Write(ReadOnlySpan<byte> bytes, params string[] segments)
    {
        var path = Path.GetFullPath(Path.Combine([Root, .. segments]));
        // Belt and braces: the checks above already keep every segment inside the folder.
        if (!path.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || segments.Any(s => s is "" or "." or ".." || s.Contains('/')))
        {
            throw new SnapshotPathException($"{path}: outside {Root}");
        }

        if (_handle is null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var plain = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            plain.Write(bytes);
            return;
        }

        // Folder by folder from the opened root, never through a symlink; files 0600, folders 0700, never replaced.
        var folders = new List<SafeFileHandle>();
        try
        {
            var current = _handle;
            var shown = Root;
            foreach (var segment in segments[..^1])
            {
                shown = Path.Combine(shown, segment);
                Posix.MakeDirectoryAt(current, segment, Mode0700, shown);
                current = Posix.OpenDirectoryAt(current, segment, shown);
                folders.Add(current);
            }

            using var file = Posix.CreateNew(current, segments[^1], UnixFileMode.UserRead | UnixFileMode.UserWrite, path);
            using var stream = new FileStream(file, FileAccess.Write, bufferSize: 1);
            stream.Write(bytes);
        }
        finally
        {
            foreach (var folder in folders)
            {
                folder.Dispose();
            }
        }
    }
}
