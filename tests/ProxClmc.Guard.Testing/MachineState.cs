namespace ProxClmc.Guard.Testing;

/// <summary>A fingerprint of files and folders: each entry's kind, size and modification time.</summary>
public static class MachineState
{
    /// <summary>Where proxclmc-guard writes or creates something unless a test says otherwise.</summary>
    /// <remarks>Only our own entries below /etc/pve and the snippets folder: Proxmox itself changes the rest.</remarks>
    public static readonly string[] DefaultPaths =
    [
        "/var/lib/proxclmc-guard",
        "/etc/proxclmc-guard",
        "/var/lib/vz/snippets/proxclmc-guard-hook",
        "/etc/pve/priv/lock/proxclmc-guard-scan",
        "/run/proxclmc-guard",
    ];

    private const int MaxEntries = 20_000;

    public static IReadOnlyDictionary<string, string> Take(IEnumerable<string> roots)
    {
        var state = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            Add(state, root);
            if (!Directory.Exists(root) || IsLink(root))
            {
                continue;
            }

            try
            {
                foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }).Take(MaxEntries))
                {
                    Add(state, entry);
                }
            }
            catch (IOException)
            {
                // Changing while we look (another test process, pmxcfs): the next look compares again.
            }
        }

        return state;
    }

    public static IReadOnlyList<string> Compare(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after) =>
        before.Keys.Union(after.Keys)
            .Where(path => !before.TryGetValue(path, out var b) || !after.TryGetValue(path, out var a) || a != b)
            .Order(StringComparer.Ordinal)
            .Select(path => $"{path} ({(before.TryGetValue(path, out var b) ? b : "absent")} -> {(after.TryGetValue(path, out var a) ? a : "absent")})")
            .ToList();

    private static void Add(Dictionary<string, string> state, string path)
    {
        var info = new FileInfo(path);
        if (Directory.Exists(path))
        {
            state[path] = "directory " + new DirectoryInfo(path).LastWriteTimeUtc.Ticks;
        }
        else if (info.Exists)
        {
            state[path] = $"file {info.Length} bytes {info.LastWriteTimeUtc.Ticks}";
        }
        else
        {
            state[path] = "absent";
        }
    }

    private static bool IsLink(string path) => new DirectoryInfo(path).LinkTarget is not null;
}
