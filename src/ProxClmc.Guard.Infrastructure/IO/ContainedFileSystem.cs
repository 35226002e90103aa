using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ProxClmc.Guard.Infrastructure.IO;

/// <summary>
/// A tree that may come from someone else (a support snapshot given to <c>--from</c>, <c>/etc/pve</c>): every file
/// under <see cref="Root"/> is opened by walking from the opened root one folder at a time with O_NOFOLLOW, so a
/// symlink anywhere inside (a <c>nodes/pve1</c> pointing at <c>/root</c>, a <c>cpuinfo</c> pointing at a key) is
/// refused instead of followed; only regular files are read, and a FIFO is opened with O_NONBLOCK and refused, so it
/// cannot hang a run. The root itself is taken as given (the administrator named it). Paths outside the root are
/// read like <see cref="PhysicalFileSystem"/> reads them.
/// </summary>
public sealed class ContainedFileSystem(string root) : IFileSystem
{
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>The tree's view for readers that were given the real file system, or the given one (tests) as is.</summary>
    public static IFileSystem For(string root, IFileSystem? given) =>
        given is null || (given is PhysicalFileSystem && Posix.IsSupported) ? new ContainedFileSystem(root) : given;

    public bool FileExists(string path)
    {
        if (Inside(path) is null)
        {
            return PhysicalFileSystem.Instance.FileExists(path);
        }

        // Anything that is there and not a folder "exists", so reading it fails loudly instead of being skipped.
        return Posix.LStat(path) is { IsDirectory: false };
    }

    public bool DirectoryExists(string path) =>
        Inside(path) is null ? PhysicalFileSystem.Instance.DirectoryExists(path) : Posix.LStat(path) is { IsDirectory: true } || Path.GetFullPath(path) == Root && Directory.Exists(path);

    public string ReadAllText(string path, int maxBytes) => Encoding.UTF8.GetString(ReadAllBytes(path, maxBytes));

    public byte[] ReadAllBytes(string path, int maxBytes)
    {
        if (Inside(path) is not { } segments)
        {
            return PhysicalFileSystem.Instance.ReadAllBytes(path, maxBytes);
        }

        var folders = new List<SafeFileHandle>();
        try
        {
            folders.Add(Posix.OpenDirectory(Root));
            var shown = Root;
            for (var i = 0; i < segments.Length - 1; i++)
            {
                shown = Path.Combine(shown, segments[i]);
                folders.Add(Posix.OpenDirectoryAt(folders[^1], segments[i], shown));
            }

            using var file = Posix.OpenRegularForRead(segments[^1], folders[^1], path);
            return Posix.ReadAll(file, maxBytes, path);
        }
        finally
        {
            foreach (var folder in folders)
            {
                folder.Dispose();
            }
        }
    }

    /// <summary>Sub-folders that are real folders: a symlink to a folder is not part of the tree.</summary>
    public IEnumerable<string> EnumerateDirectories(string path) =>
        PhysicalFileSystem.Instance.EnumerateDirectories(path).Where(d => Inside(d) is null || Posix.LStat(d) is { IsDirectory: true });

    public IEnumerable<string> EnumerateFiles(string path, string pattern) =>
        DirectoryExists(path) ? PhysicalFileSystem.Instance.EnumerateFiles(path, pattern) : [];

    /// <summary>The path's segments below the root, or null when it is not strictly inside it.</summary>
    private string[]? Inside(string path)
    {
        var full = Path.GetFullPath(path);
        var prefix = Root.EndsWith('/') ? Root : Root + "/";
        return full.StartsWith(prefix, StringComparison.Ordinal) && full.Length > prefix.Length
            ? full[prefix.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries)
            : null;
    }
}
